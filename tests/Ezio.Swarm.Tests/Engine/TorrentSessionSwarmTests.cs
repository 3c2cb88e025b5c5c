using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Swarm.Tests.Engine;

/// <summary>
/// Whole swarms in one process on loopback: one seeder and several leechers, each a full
/// <c>TorrentSession</c> with its own listener and memory storage.
/// </summary>
public sealed class TorrentSessionSwarmTests
{
    // 64 MiB less an odd amount, so the last piece is short; 256 KiB pieces: 256 of them.
    private const int TotalLength = (64 << 20) - 12_345;
    private const int PieceLength = 256 << 10;
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(120);

    private readonly ITestOutputHelper _output;

    public TorrentSessionSwarmTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completion_SeederAndEightLeechers_EveryLeecherHoldsTheSourceBytes(bool blockRoots)
    {
        var torrent = MemoryTorrent.Create(TotalLength, PieceLength, fileCount: 7, seed: 1, blockRoots: blockRoots);
        await using var swarm = new SwarmHarness(torrent) { Relay = blockRoots };
        await swarm.AddSeederAsync();
        var leechers = new List<SwarmMember>();
        for (var i = 0; i < 8; i++)
        {
            // Each dials the seeder and every leecher started before it.
            leechers.Add(await swarm.AddLeecherAsync($"leecher{i}"));
        }

        await swarm.WaitForCompletionAsync(leechers, _timeout);
        _output.WriteLine(swarm.Describe());

        foreach (var leecher in leechers)
        {
            Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()), $"{leecher} holds different bytes");
        }
        var traded = leechers.Sum(l => l.Session.GetStats().Uploaded);
        Assert.True(traded > 0, $"leechers never uploaded to each other:\n{swarm.Describe()}");
        // With block roots and relay on, pieces also travel block by block before they are whole.
        var relayed = leechers.Sum(l => l.Session.RelayedBlocks);
        Assert.True(blockRoots == relayed > 0, $"{relayed} blocks relayed with block roots {blockRoots}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SuperSeeding_FourLeechers_TheSeedSendsEveryPieceOnceBeforeAnySecondCopy(bool blockRoots)
    {
        var torrent = MemoryTorrent.Create(TotalLength, PieceLength, fileCount: 3, seed: 3, blockRoots: blockRoots);
        await using var swarm = new SwarmHarness(torrent) { Relay = blockRoots };
        var seeder = await swarm.AddSeederAsync();
        var leechers = new List<SwarmMember>();
        for (var i = 0; i < 4; i++)
        {
            leechers.Add(await swarm.AddLeecherAsync($"leecher{i}"));
        }

        await swarm.WaitForCompletionAsync(leechers, _timeout);
        _output.WriteLine(swarm.Describe());

        // Super-seeding ends when every piece has reached some leecher. Until then the seed
        // sends only pieces nobody holds: exactly one copy of the data, not a byte less (it
        // did not stop early) and not a piece more (nothing went out twice).
        var first = seeder.Session.GetStats().SuperSeedUploaded;
        Assert.NotNull(first);
        Assert.InRange(first.Value, TotalLength, TotalLength + PieceLength - 1);
        foreach (var leecher in leechers)
        {
            Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()), $"{leecher} holds different bytes");
        }
    }

    [Fact]
    public async Task Completion_LeecherServingCorruptBlocks_OthersStillFinishAndBanIt()
    {
        var torrent = MemoryTorrent.Create(TotalLength, PieceLength, fileCount: 5, seed: 2);
        await using var swarm = new SwarmHarness(torrent);
        await swarm.AddSeederAsync();
        // First among the leechers, so every honest leecher dials it and sees its haves early.
        var corrupt = await swarm.AddLeecherAsync("corrupt", storage => new CorruptingStorage(storage));
        var honest = new List<SwarmMember>();
        for (var i = 0; i < 8; i++)
        {
            honest.Add(await swarm.AddLeecherAsync($"honest{i}"));
        }

        await swarm.WaitForCompletionAsync(honest, _timeout);
        _output.WriteLine(swarm.Describe());

        foreach (var leecher in honest)
        {
            Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()), $"{leecher} holds different bytes");
        }
        var failures = honest.Select(l => l.Session.GetStats().HashFailures).ToList();
        Assert.True(failures.Any(f => f > 0), $"no honest leecher was ever served a corrupt piece:\n{swarm.Describe()}");

        // Its own download is unharmed: verification hashes what it received, not what it serves.
        await swarm.WaitForCompletionAsync([corrupt], _timeout);
        Assert.True(torrent.Data.AsSpan().SequenceEqual(corrupt.Contents()));

        // The ban set belongs to each session's swarm loop: stop the loops before reading it.
        await swarm.DisposeAsync();
        var corruptId = corrupt.Session.PeerId;
        var banners = honest.Where(l => SessionProbe.HasBanned(l.Session, corruptId)).ToList();
        Assert.NotEmpty(banners);
        foreach (var (leecher, failed) in honest.Zip(failures))
        {
            // Only the corrupt peer serves bad pieces, so two failures mean two from it: a ban.
            Assert.True(failed >= 2 == banners.Contains(leecher),
                $"{leecher}: {failed} hash failures but banned = {banners.Contains(leecher)}");
        }
    }
}
