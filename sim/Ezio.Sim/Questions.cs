using System.Globalization;
using Ezio.Imaging;

namespace Ezio.Sim;

/// <summary>
/// What the emulated LAN cannot answer: N = 16 to 1,000 machines at 1 Gbit/s with a 10 GiB
/// image (the piece length `ezio image` picks for it), as built, with 1 % of the machines
/// dying half-way, and with one slow (100 Mbit/s) machine for every ten fast ones.
/// </summary>
public static class Questions
{
    public const double Gigabit = 1e9;
    public const long TenGiB = 10L << 30;

    public static Scenario Build(string name, int n, double bitsPerSecond, long imageBytes, int? pieceLength = null, int seed = 1)
    {
        var piece = pieceLength ?? EzioImage.ChoosePieceLength(imageBytes);
        var scenario = Scenario.Uniform(name, n, bitsPerSecond, imageBytes, piece, seed);
        var machines = scenario.Machines.ToArray();
        switch (name)
        {
            case "baseline":
                break;
            case "dying":
                // 1 % of the machines (at least one), chosen by the seed, die at half their download.
                var random = new Random(seed);
                var dying = Math.Max(1, (int)Math.Round(n / 100.0));
                foreach (var index in Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(dying))
                {
                    machines[index] = machines[index] with { DiesAtFraction = 0.5 };
                }
                break;
            case "mixed":
                // Ten fast machines to one slow one: every eleventh machine on a 100 Mbit/s link.
                for (var i = 10; i < n; i += 11)
                {
                    machines[i] = new HostSpec(bitsPerSecond / 10, bitsPerSecond / 10);
                }
                break;
            default:
                throw new FormatException($"unknown scenario '{name}' (baseline, dying, mixed)");
        }
        return scenario with { Machines = machines };
    }

    public static int Run(int[] ns, string[] scenarios, int[] seeds, string outDir, TextWriter output)
    {
        Directory.CreateDirectory(outDir);
        var csv = Path.Combine(outDir, $"sim-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.csv");
        using var writer = new StreamWriter(csv);
        writer.WriteLine(SimResult.CsvHeader);
        output.WriteLine($"ezio-sim: 1 Gbit/s, 10 GiB image, {EzioImage.ChoosePieceLength(TenGiB) >> 20} MiB pieces; load average {LoadAverage()}");
        output.WriteLine($"{"scenario",-9} {"N",5} {"seed",4} {"last machine",12} {"bound",8} {"ratio",6} {"server copies",13} {"1st pass",8} {"done",5} {"died",4} {"wall",7} {"cpu",7} {"fast done",10}");
        var failed = false;
        foreach (var name in scenarios)
        {
            foreach (var (n, seed) in ns.SelectMany(n => seeds.Select(seed => (n, seed))))
            {
                var result = new Swarm(Build(name, n, Gigabit, TenGiB, seed: seed)).Run();
                writer.WriteLine(result.ToCsv());
                writer.Flush();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-9} {n,5} {seed,4} {result.LastDoneSeconds,10:0.00} s {result.BoundSeconds,6:0.00} s {result.Ratio,5:0.00}x {result.ServerCopies,13:0.00} {result.ServerCopiesFirstPass,8:0.00} {result.Completed,5} {result.Died,4} {result.WallSeconds,5:0.0} s {result.CpuSeconds,5:0.0} s {result.LastFastSeconds,8:0.00} s"));
                failed |= double.IsNaN(result.LastDoneSeconds);
            }
        }
        output.WriteLine($"ezio-sim: {csv}; load average {LoadAverage()}");
        return failed ? 1 : 0;
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
