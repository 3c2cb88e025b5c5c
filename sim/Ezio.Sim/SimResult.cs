using System.Globalization;

namespace Ezio.Sim;

/// <summary>What one simulated deployment measured.</summary>
public sealed record SimResult
{
    public required string Scenario { get; init; }

    public required int Machines { get; init; }

    public required int Seed { get; init; }

    /// <summary>Virtual seconds until the last surviving machine had every piece (NaN: some never did).</summary>
    public required double LastDoneSeconds { get; init; }

    public required double BoundSeconds { get; init; }

    /// <summary>When the last surviving machine on the fastest downlink had every piece (NaN: some never did).</summary>
    public required double LastFastSeconds { get; init; }

    public double Ratio => LastDoneSeconds / BoundSeconds;

    /// <summary>Payload the server sent, in copies of the image.</summary>
    public required double ServerCopies { get; init; }

    /// <summary>Payload the server had sent when every piece had reached a machine, in copies (NaN: never).</summary>
    public required double ServerCopiesFirstPass { get; init; }

    public required int Completed { get; init; }

    public required int Died { get; init; }

    /// <summary>Payload received twice or cut off, in copies of the image over all machines.</summary>
    public required double WastedCopies { get; init; }

    public required long Events { get; init; }

    public required double WallSeconds { get; init; }

    /// <summary>CPU seconds the run took (the budget's measure on shared cores).</summary>
    public required double CpuSeconds { get; init; }

    public static SimResult From(Swarm swarm, TimeSpan wall, TimeSpan cpu)
    {
        var scenario = swarm.Scenario;
        var image = (double)scenario.ImageBytes;
        var survivors = swarm.Machines.Where(m => m.DiedAt < 0).ToList();
        var last = survivors.All(m => m.DoneAt >= 0) ? survivors.Select(m => m.DoneAt).DefaultIfEmpty(0).Max() : double.NaN;
        var fastest = swarm.Machines.Max(m => m.DownBytesPerSecond);
        var fast = survivors.Where(m => m.DownBytesPerSecond == fastest).ToList();
        var lastFast = fast.All(m => m.DoneAt >= 0) ? fast.Select(m => m.DoneAt).DefaultIfEmpty(0).Max() : double.NaN;
        var seeder = swarm.Server.Seeder;
        return new SimResult
        {
            Scenario = scenario.Name,
            Machines = scenario.Machines.Count,
            Seed = scenario.Seed,
            LastDoneSeconds = last,
            BoundSeconds = scenario.BoundSeconds,
            LastFastSeconds = lastFast,
            ServerCopies = swarm.Server.Uploaded / image,
            ServerCopiesFirstPass = seeder is { UploadedWhenDone: >= 0 } ? seeder.UploadedWhenDone / image : double.NaN,
            Completed = swarm.Machines.Count(m => m.DoneAt >= 0),
            Died = swarm.Machines.Count(m => m.DiedAt >= 0),
            WastedCopies = swarm.Machines.Sum(m => m.Wasted) / image,
            Events = swarm.Events.Processed,
            WallSeconds = wall.TotalSeconds,
            CpuSeconds = cpu.TotalSeconds,
        };
    }

    public const string CsvHeader = "scenario,n,seed,seconds,bound_seconds,ratio,server_copies,server_copies_first_pass,completed,died,wasted_copies,events,wall_seconds,cpu_seconds,last_fast_seconds";

    public string ToCsv() => string.Join(',',
        Scenario, Machines.ToString(CultureInfo.InvariantCulture), Seed.ToString(CultureInfo.InvariantCulture), F(LastDoneSeconds), F(BoundSeconds), F(Ratio, "0.000"),
        F(ServerCopies, "0.000"), F(ServerCopiesFirstPass, "0.000"), Completed.ToString(CultureInfo.InvariantCulture),
        Died.ToString(CultureInfo.InvariantCulture), F(WastedCopies, "0.000"), Events.ToString(CultureInfo.InvariantCulture), F(WallSeconds, "0.0"), F(CpuSeconds, "0.0"), F(LastFastSeconds));

    private static string F(double value, string format = "0.00") => value.ToString(format, CultureInfo.InvariantCulture);
}
