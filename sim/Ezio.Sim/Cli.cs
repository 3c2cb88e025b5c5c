using System.Globalization;

namespace Ezio.Sim;

/// <summary>
/// ezio-sim calibrate [--lan CSV]   the emulated LAN's runs (bench-lan) against the simulator
/// ezio-sim questions [--n 16,64,256,1000] [--scenarios baseline,dying,mixed] [--seeds 1,2,3] [--out DIR]
/// ezio-sim run --n N [--rate BITS] [--size BYTES] [--piece BYTES] [--scenario NAME] [--seed S]
///   [--inflight-mib M] [--serial-up none|server|all] [--endgame peers|slower|off] [--server-slots K] [--refresh SECONDS] [--probe SECONDS] [--limit SECONDS] [--max-connections C]
/// </summary>
public static class Cli
{
    public static int Run(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "questions";
        var options = Options(args.Skip(1));
        try
        {
            switch (command)
            {
                case "calibrate":
                    return Calibration.Run(options.GetValueOrDefault("lan"), Console.Out);
                case "questions":
                    return Questions.Run(
                        Ints(options.GetValueOrDefault("n") ?? "16,64,256,1000"),
                        (options.GetValueOrDefault("scenarios") ?? "baseline,dying,mixed").Split(','),
                        Ints(options.GetValueOrDefault("seeds") ?? "1"),
                        options.GetValueOrDefault("out") ?? Path.Combine(RepoRoot(), "bench", "results"),
                        Console.Out);
                case "run":
                    var built = Questions.Build(
                        options.GetValueOrDefault("scenario") ?? "baseline",
                        int.Parse(options["n"], CultureInfo.InvariantCulture),
                        double.Parse(options.GetValueOrDefault("rate") ?? "1e9", CultureInfo.InvariantCulture),
                        long.Parse(options.GetValueOrDefault("size") ?? (10L << 30).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                        options.TryGetValue("piece", out var piece) ? int.Parse(piece, CultureInfo.InvariantCulture) : null,
                        int.Parse(options.GetValueOrDefault("seed") ?? "1", CultureInfo.InvariantCulture));
                    if (options.TryGetValue("inflight-mib", out var inflight))
                    {
                        built = built with { Engine = built.Engine with { MaxInFlightBytes = long.Parse(inflight, CultureInfo.InvariantCulture) << 20 } };
                    }
                    if (options.TryGetValue("max-connections", out var connections))
                    {
                        built = built with { Engine = built.Engine with { MaxConnections = int.Parse(connections, CultureInfo.InvariantCulture) } };
                    }
                    if (options.TryGetValue("limit", out var limit))
                    {
                        built = built with { TimeLimitSeconds = double.Parse(limit, CultureInfo.InvariantCulture) };
                    }
                    if (options.TryGetValue("serial-up", out var serial))
                    {
                        built = built with { Link = built.Link with { SerialUplinks = Enum.Parse<SerialUplinks>(serial, ignoreCase: true) } };
                    }
                    if (options.TryGetValue("server-slots", out var slots))
                    {
                        built = built with { Engine = built.Engine with { ServerMaxUnchoked = int.Parse(slots, CultureInfo.InvariantCulture) } };
                    }
                    if (options.TryGetValue("endgame", out var endgame))
                    {
                        built = built with { Engine = built.Engine with { Endgame = Enum.Parse<EndgamePolicy>(endgame, ignoreCase: true) } };
                    }
                    if (options.TryGetValue("refresh", out var refresh))
                    {
                        built = built with { Link = built.Link with { RefreshSeconds = double.Parse(refresh, CultureInfo.InvariantCulture) } };
                    }
                    var swarm = new Swarm(built);
                    if (options.TryGetValue("probe", out var every))
                    {
                        var period = double.Parse(every, CultureInfo.InvariantCulture);
                        var next = 0.0;
                        swarm.Probe = s =>
                        {
                            if (s.Events.Now < next)
                            {
                                return;
                            }
                            next = s.Events.Now + period;
                            var live = s.Machines.Where(m => m.Started && m.Alive && !m.Complete).ToList();
                            var capacity = s.Server.UpBytesPerSecond / s.Scenario.Link.HeaderOverhead;
                            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"t={s.Events.Now,7:0.00} server up {s.Server.OutRate / capacity,5:P0} flows {s.Server.OutFlows.Count,3} | machines down {live.Select(m => m.InRate / (m.DownBytesPerSecond / s.Scenario.Link.HeaderOverhead)).DefaultIfEmpty().Average(),5:P0} up {s.Machines.Select(m => m.OutRate / (m.UpBytesPerSecond / s.Scenario.Link.HeaderOverhead)).Average(),5:P0} in-flows {live.Select(m => m.InFlows.Count).DefaultIfEmpty().Average(),5:0.0} have {live.Select(m => m.Picker.HaveCount).DefaultIfEmpty().Average(),6:0} | {s.Server.Seeder}"));
                        };
                    }
                    var result = swarm.Run();
                    Console.Error.WriteLine(string.Join(' ', Enum.GetValues<EventKind>().Select(k => $"{k}={swarm.Events.ProcessedByKind[(int)k]}")) + $" refills={swarm.Network.Refills} superseed-done={swarm.Server.Seeder?.DoneAt:0.00} takeovers={swarm.TakenOver} done=[{string.Join(' ', swarm.Machines.Select(m => m.DoneAt.ToString("0.0", CultureInfo.InvariantCulture)))}]");
                    Console.WriteLine(SimResult.CsvHeader);
                    Console.WriteLine(result.ToCsv());
                    return 0;
                default:
                    Console.Error.WriteLine("usage: ezio-sim calibrate|questions|run (see sim/README.md)");
                    return 2;
            }
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or IOException)
        {
            Console.Error.WriteLine($"ezio-sim: {e.Message}");
            return 2;
        }
    }

    private static Dictionary<string, string> Options(IEnumerable<string> args)
    {
        var options = new Dictionary<string, string>();
        string? key = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                key = arg[2..];
                options[key] = "";
            }
            else if (key is not null)
            {
                options[key] = arg;
                key = null;
            }
        }
        return options;
    }

    private static int[] Ints(string list) => list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The directory holding Ezio.sln, searched upwards from here (else the current directory).</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ezio.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
