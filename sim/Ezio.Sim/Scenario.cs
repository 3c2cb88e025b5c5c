namespace Ezio.Sim;

/// <summary>One simulated deployment: a seeding server and N machines.</summary>
public sealed record Scenario
{
    public required string Name { get; init; }

    public required long ImageBytes { get; init; }

    public required int PieceLength { get; init; }

    public required double ServerBitsPerSecond { get; init; }

    public required IReadOnlyList<HostSpec> Machines { get; init; }

    public int Seed { get; init; } = 1;

    public LinkModel Link { get; init; } = new();

    public EngineTunables Engine { get; init; } = new();

    /// <summary>Hard stop in virtual seconds (a stuck swarm ends the run instead of looping).</summary>
    public double TimeLimitSeconds { get; init; } = 100_000;

    public int PieceCount => (int)((ImageBytes + PieceLength - 1) / PieceLength);

    public int PieceSize(int index) =>
        index < PieceCount - 1 ? PieceLength : (int)(ImageBytes - (long)PieceLength * (PieceCount - 1));

    /// <summary>The line-rate bound: image bits over the slowest machine's downlink.</summary>
    public double BoundSeconds => ImageBytes * 8.0 / Machines.Min(m => m.DownBitsPerSecond);

    /// <summary>N machines on symmetric links of one rate.</summary>
    public static Scenario Uniform(string name, int n, double bitsPerSecond, long imageBytes, int pieceLength, int seed = 1) => new()
    {
        Name = name,
        ImageBytes = imageBytes,
        PieceLength = pieceLength,
        ServerBitsPerSecond = bitsPerSecond,
        Machines = Enumerable.Repeat(new HostSpec(bitsPerSecond, bitsPerSecond), n).ToArray(),
        Seed = seed,
    };
}
