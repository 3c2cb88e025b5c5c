using System.Globalization;

namespace Ezio.Sim;

/// <summary>
/// The simulator against the emulated LAN (`make bench-lan`, bench/results/lan-20261127-035641.csv):
/// 25 Mbit/s links, a 64 MiB image in 128 KiB pieces, N = 1 to 16; the same swarm simulated,
/// side by side. The simulator is trusted where it lands within 5 % (N = 4 to 16).
/// </summary>
public static class Calibration
{
    public const double Rate = 25e6;
    public const long ImageBytes = 64L << 20;
    public const int PieceLength = 128 << 10;
    public const int Seeds = 5;
    public const string DefaultCsv = "bench/results/lan-20261127-035641.csv";

    // The same run's Ezio rows, for a checkout without bench/results.
    private static readonly (int N, double Seconds)[] Measured = [(1, 22.60), (2, 23.31), (4, 23.40), (8, 24.13), (16, 25.43)];

    public static Scenario Build(int n, int seed = 1) => Scenario.Uniform("calibrate", n, Rate, ImageBytes, PieceLength, seed);

    public static int Run(string? lanCsv, TextWriter output)
    {
        var lan = Read(lanCsv ?? Path.Combine(Cli.RepoRoot(), DefaultCsv));
        output.WriteLine("ezio-sim calibrate: 25 Mbit/s, 64 MiB, 128K pieces (bound 21.47 s); LAN = bench-lan, sim = this simulator");
        output.WriteLine($"sim: mean of seeds 1-{Seeds} (range in brackets)");
        output.WriteLine($"{"N",3} {"LAN",8} {"ratio",6} {"sim",8} {"ratio",6} {"sim/LAN",8} {"range",15} {"server copies",13}");
        var worst = 0.0;
        foreach (var (n, seconds) in lan)
        {
            var runs = Enumerable.Range(1, Seeds).Select(seed => new Swarm(Build(n, seed)).Run()).ToList();
            var mean = runs.Average(r => r.LastDoneSeconds);
            var bound = runs[0].BoundSeconds;
            var off = mean / seconds - 1;
            if (n >= 4)
            {
                worst = Math.Max(worst, Math.Abs(off));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n,3} {seconds,6:0.00} s {seconds / bound,5:0.00}x {mean,6:0.00} s {mean / bound,5:0.00}x {off,7:+0.0%;-0.0%} [{runs.Min(r => r.LastDoneSeconds),5:0.00}-{runs.Max(r => r.LastDoneSeconds),5:0.00} s] {runs.Average(r => r.ServerCopies),13:0.00}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst at N = 4-16: {worst:0.0%} (trusted within 5 %)"));
        return worst <= 0.05 ? 0 : 1;
    }

    private static IReadOnlyList<(int N, double Seconds)> Read(string path)
    {
        if (!File.Exists(path))
        {
            return Measured;
        }
        var rows = new List<(int, double)>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length > 6 && f[0] == "25mbit" && f[2] == "ezio" && f[6] == "ok")
            {
                rows.Add((int.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture)));
            }
        }
        return rows.Count > 0 ? rows : Measured;
    }
}
