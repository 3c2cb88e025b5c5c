using Ezio.BitTorrent.Compression;
using Ezio.BitTorrent.PeerWire;
using Ezio.Imaging.Compression;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// How a downloading session asks a fake ezio_zpiece seed over a memory link for pieces: whole and
/// compressed while that pays off, as plain blocks when the pieces do not compress.
/// </summary>
public sealed class PeerConnectionZPieceTests
{
    // Our id for ezio_zpiece, which the session uses for what it sends us.
    private const byte ZPieceId = 3;

    private readonly ITestOutputHelper _output;

    public PeerConnectionZPieceTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task TopUp_PiecesDoNotCompress_MostAskedAsBlocksAndEveryEighthCompressed()
    {
        // Random bytes: every piece comes back raw, as large as it is.
        var torrent = MemoryTorrent.Create(32 << 20, 256 << 10, fileCount: 2, seed: 8);
        var requests = await DownloadAsync(torrent);

        var compressed = requests.Where(r => r.Compressed).Select(r => r.Index).ToHashSet();
        var blocks = requests.Where(r => !r.Compressed).Select(r => r.Index).ToHashSet();
        var firstBlock = requests.FindIndex(r => !r.Compressed);
        var compressedAfter = requests.Skip(firstBlock).Count(r => r.Compressed);
        _output.WriteLine($"{compressed.Count} pieces asked compressed, {blocks.Count} as blocks, " +
            $"{compressedAfter} compressed after the first block request");

        // The first pieces go whole; once their size shows, most go as blocks, and one in
        // eight is still tried whole.
        Assert.True(firstBlock > 0, "the first request was a block request");
        Assert.True(blocks.Count >= 2 * compressed.Count, $"{blocks.Count} pieces as blocks, {compressed.Count} compressed");
        Assert.InRange(compressedAfter, 2, blocks.Count / 4);
    }

    [Fact]
    public async Task TopUp_PiecesCompress_EveryPieceAskedCompressed()
    {
        // Text and zeros, a tenth random: pieces travel at a fraction of their size.
        var torrent = MemoryTorrent.Create(24 << 20, 1 << 20, fileCount: 2, seed: 9, compressible: true);
        var requests = await DownloadAsync(torrent);

        // The whole image travels at a fraction of its size, so every piece goes whole.
        var compressed = requests.Where(r => r.Compressed).Select(r => r.Index).ToHashSet();
        var blocks = requests.Where(r => !r.Compressed).Select(r => r.Index).ToHashSet();
        _output.WriteLine($"{compressed.Count} pieces asked compressed, {blocks.Count} as blocks");
        Assert.Empty(blocks);
        Assert.Equal(torrent.Torrent.PieceCount, compressed.Count);
    }

    [Fact]
    public async Task TopUp_RunOfIncompressiblePieces_RestStillAskedCompressed()
    {
        // A disk that compresses well as a whole, with a third of it in one run that does
        // not (archives, media): the run must not send the rest as plain blocks.
        const int piece = 256 << 10;
        var torrent = MemoryTorrent.Create(48 * piece, piece, fileCount: 2, seed: 10, compressible: true,
            randomRange: (8 * piece)..(24 * piece));
        var requests = await DownloadAsync(torrent);

        var compressed = requests.Where(r => r.Compressed).Select(r => r.Index).ToHashSet();
        var blocks = requests.Where(r => !r.Compressed).Select(r => r.Index).ToHashSet();
        _output.WriteLine($"{compressed.Count} pieces asked compressed, {blocks.Count} as blocks: " +
            string.Join(" ", requests.Select(r => (r.Compressed ? "z" : "b") + r.Index).Distinct()));
        Assert.Empty(blocks);
    }

    /// <summary>
    /// A compressing leecher downloads everything from one fake seed that speaks
    /// ezio_zpiece; returns the requests the seed got, in order (one per block or piece).
    /// </summary>
    private async Task<List<(bool Compressed, int Index)>> DownloadAsync(MemoryTorrent torrent)
    {
        await using var swarm = new SwarmHarness(torrent);
        var leecher = await swarm.AddLeecherAsync("leecher", codec: ZstdPieceCodec.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = timeout.Token;
        await using var seed = await swarm.AttachPeerAsync(leecher, token,
            extensions: new Dictionary<string, int> { [ZPieceMessage.ExtensionName] = ZPieceId });
        // The leecher's id for ezio_zpiece, from its extension handshake (read before any request).
        byte remoteZPieceId = 0;
        await seed.SendSimpleAsync(MessageId.HaveAll, token);
        await seed.SendSimpleAsync(MessageId.Unchoke, token);

        var requests = new List<(bool Compressed, int Index)>();
        var scratch = new byte[ZstdPieceCodec.Instance.CompressBound(torrent.Torrent.PieceLength)];
        var serving = seed.RunAsync(async message =>
        {
            if (message is { Id: MessageId.Extended, ExtendedId: 0 })
            {
                remoteZPieceId = ExtensionHandshake.Parse(message.Payload).Extensions.TryGetValue(ZPieceMessage.ExtensionName, out var id) ? (byte)id : (byte)0;
            }
            else if (message.Id == MessageId.Request)
            {
                requests.Add((false, message.Index));
                await seed.SendBlockAsync(torrent.Data, message.Index, message.Begin, message.Length, token);
            }
            else if (message is { Id: MessageId.Extended, ExtendedId: ZPieceId })
            {
                var (kind, index, _, _) = ZPieceMessage.Parse(new(message.Payload), torrent.Torrent.PieceCount);
                if (kind != ZPieceMessage.Request)
                {
                    return;
                }
                requests.Add((true, index));
                // Compressed when that saves a tenth, else raw: what an Ezio seed sends.
                var piece = torrent.Data.AsMemory((int)((long)index * torrent.Torrent.PieceLength), torrent.Torrent.GetPieceSize(index));
                var length = ZstdPieceCodec.Instance.Compress(piece.Span, scratch, level: 1);
                await (length > 0 && length < piece.Length - piece.Length / 10
                    ? seed.SendZPieceAsync(remoteZPieceId, index, PieceEncoding.Zstd, scratch.AsMemory(0, length), token)
                    : seed.SendZPieceAsync(remoteZPieceId, index, PieceEncoding.Raw, piece, token));
            }
        }, token);
        try
        {
            await swarm.WaitForCompletionAsync([leecher], TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Tells a seed that stopped answering from a leecher that stopped asking.
            _output.WriteLine($"{requests.Count} requests, the last: " +
                string.Join(" ", requests.TakeLast(20).Select(r => (r.Compressed ? "z" : "b") + r.Index)));
            throw;
        }
        Assert.True(torrent.Data.AsSpan().SequenceEqual(leecher.Contents()));
        timeout.Cancel();
        await serving;
        return requests;
    }
}
