using Ezio.BitTorrent.Compression;
using Ezio.Imaging.Compression;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.Swarm.Tests.Engine;

/// <summary>
/// ezio_zpiece in whole swarms: Ezio peers trade whole pieces compressed, peers without the
/// extension get plain blocks from the same swarm, and a hostile compressed payload closes
/// only the connection that carried it.
/// </summary>
public sealed class CompressedPieceSwarmTests
{
    private const int TotalLength = (48 << 20) - 777;
    private const int PieceLength = 1 << 20;
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(120);

    private readonly ITestOutputHelper _output;

    public CompressedPieceSwarmTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Completion_MixedSwarm_CompressedPeersFetchFewerBytesAndAllMatch()
    {
        var torrent = MemoryTorrent.Create(TotalLength, PieceLength, fileCount: 4, seed: 3, compressible: true);
        await using var swarm = new SwarmHarness(torrent);
        await swarm.AddSeederAsync(codec: ZstdPieceCodec.Instance);
        var compressed = new List<SwarmMember>();
        var plain = new List<SwarmMember>();
        for (var i = 0; i < 3; i++)
        {
            compressed.Add(await swarm.AddLeecherAsync($"z{i}", codec: ZstdPieceCodec.Instance));
            plain.Add(await swarm.AddLeecherAsync($"plain{i}"));
        }

        await swarm.WaitForCompletionAsync([.. compressed, .. plain], _timeout);
        _output.WriteLine(swarm.Describe());

        foreach (var member in compressed.Concat(plain))
        {
            Assert.True(torrent.Data.AsSpan().SequenceEqual(member.Contents()), $"{member} holds different bytes");
            // What reached the disk is the payload, however few bytes crossed the wire.
            Assert.Equal(TotalLength, member.Session.GetStats().Written);
        }
        // Plain peers fetch at least the payload; compressed ones well under it.
        foreach (var member in plain)
        {
            Assert.True(member.Session.GetStats().Downloaded >= TotalLength, $"{member} fetched less than the payload as plain blocks");
        }
        // Compressed peers take part of the payload as plain blocks from the plain peers, how
        // much depends on who has what when (4 to 28 of 48 MiB seen came compressed); what
        // came compressed came at under 3/4 of its size.
        foreach (var member in compressed)
        {
            var stats = member.Session.GetStats();
            _output.WriteLine($"{member}: {stats.ZPieceWire} bytes on the wire for {stats.ZPieceData} of pieces; {stats.Downloaded} fetched in all");
            Assert.True(stats.ZPieceData >= PieceLength, $"{member} took no piece compressed");
            Assert.True(stats.ZPieceWire < 0.75 * stats.ZPieceData, $"{member}: {stats.ZPieceWire} bytes on the wire for {stats.ZPieceData} of pieces");
            Assert.True(stats.Downloaded < TotalLength, $"{member} fetched {stats.Downloaded} bytes for {TotalLength}");
        }
    }

    [Fact]
    public async Task Completion_SeederSendingGarbageFrames_LeecherDropsItAndFinishesFromOthers()
    {
        var torrent = MemoryTorrent.Create(16 << 20, PieceLength, fileCount: 2, seed: 4, compressible: true);
        await using var swarm = new SwarmHarness(torrent);
        // A seeder whose "compressed" pieces are garbage that claims a huge size.
        var hostile = await swarm.AddSeederAsync("hostile", codec: new GarbageCodec());
        var honest = await swarm.AddSeederAsync("honest");
        var leecher = await swarm.AddLeecherAsync("leecher", codec: ZstdPieceCodec.Instance);

        await swarm.WaitForCompletionAsync([leecher], _timeout);
        _output.WriteLine(swarm.Describe());

        Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()));
        Assert.True(honest.Session.GetStats().Uploaded > 0, "the honest seeder never served a byte");
    }

    /// <summary>Compresses to a zstd frame header that declares 4 GiB, then noise.</summary>
    private sealed class GarbageCodec : IPieceCodec
    {
        public int CompressBound(int length) => ZstdPieceCodec.Instance.CompressBound(length);

        public int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
        {
            byte[] bomb = [0x28, 0xB5, 0x2F, 0xFD, 0xA4, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xDE, 0xAD];
            bomb.CopyTo(destination);
            return bomb.Length;
        }

        public void Decompress(ReadOnlySpan<byte> source, Span<byte> destination) => ZstdPieceCodec.Instance.Decompress(source, destination);
    }
}
