using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Swarm.Tests.Engine;

/// <summary>A session whose target already holds part of the torrent: a machine resuming a deployment.</summary>
public sealed class ResumeSwarmTests
{
    // 16 MiB less an odd amount, 256 KiB pieces: 64 of them, the last short.
    private const int TotalLength = (16 << 20) - 12_345;
    private const int PieceLength = 256 << 10;
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(120);

    private readonly ITestOutputHelper _output;

    public ResumeSwarmTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Resume_LeecherHoldingEveryThirdPiece_FetchesAndWritesOnlyTheOthers()
    {
        var torrent = MemoryTorrent.Create(TotalLength, PieceLength, fileCount: 2, seed: 5);
        await using var swarm = new SwarmHarness(torrent);
        await swarm.AddSeederAsync();
        static bool Holds(int piece) => piece % 3 == 0;
        var resumed = await swarm.AddPartialAsync("resumed", Holds);

        await swarm.WaitForCompletionAsync([resumed], _timeout);
        _output.WriteLine(swarm.Describe());

        Assert.True(torrent.Data.AsSpan().SequenceEqual(resumed.Contents()), "the resumed leecher holds different bytes");
        var pieces = torrent.Torrent;
        var missing = Enumerable.Range(0, pieces.PieceCount).Where(i => !Holds(i)).Sum(i => (long)pieces.GetPieceSize(i));
        var stats = resumed.Session.GetStats();
        Assert.Equal(missing, stats.Written);
        Assert.True(stats.Downloaded >= missing && stats.Downloaded < TotalLength, $"fetched {stats.Downloaded} bytes for {missing} missing");
    }
}
