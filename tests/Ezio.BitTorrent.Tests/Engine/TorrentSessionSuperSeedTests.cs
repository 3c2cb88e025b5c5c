using System.Diagnostics;
using Ezio.BitTorrent.PeerWire;
using Ezio.TestKit.Engine;
using Ezio.TestKit.Metainfo;
using Ezio.TestKit.PeerWire;
using Xunit;
using Xunit.Abstractions;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>
/// Super-seeding seen from fake leechers on loopback: which pieces the seed advertises to
/// whom while nobody has announced a piece yet.
/// </summary>
public sealed class TorrentSessionSuperSeedTests
{
    private const int PieceLength = 1 << 20;
    private const int PeerCount = 8;

    private readonly ITestOutputHelper _output;

    public TorrentSessionSuperSeedTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SuperSeedInFlight_EightPeersThatNeverAnnounce_APieceOutForEveryPeer()
    {
        var torrent = MemoryTorrent.Create(24 * PieceLength, PieceLength, fileCount: 2, seed: 6);
        await using var swarm = new SwarmHarness(torrent);
        var seeder = await swarm.AddSeederAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = timeout.Token;
        var peers = new List<WirePeer>();
        var advertised = new List<HashSet<int>>();
        var loops = new List<Task>();
        try
        {
            for (var i = 0; i < PeerCount; i++)
            {
                var peer = await WirePeer.ConnectAsync(seeder.EndPoint, torrent.Torrent, token);
                peers.Add(peer);
                var haves = new HashSet<int>();
                advertised.Add(haves);
                await peer.SendSimpleAsync(MessageId.HaveNone, token);
                // They take what they are told about and never announce a piece.
                loops.Add(peer.RunAsync(message =>
                {
                    if (message.Id == MessageId.Have)
                    {
                        lock (haves)
                        {
                            haves.Add(message.Index);
                        }
                    }
                    return Task.CompletedTask;
                }, token));
            }

            // The first peers fill their windows (two pieces each) while alone; every later
            // peer raises the budget by one piece. The 1 MiB pieces alone would allow four,
            // which the first two peers hold. Bounded well below the 20 s after which a piece
            // nobody announced may be handed to another peer.
            (int Served, int Pieces) Count()
            {
                var served = 0;
                var pieces = new HashSet<int>();
                foreach (var haves in advertised)
                {
                    lock (haves)
                    {
                        served += haves.Count > 0 ? 1 : 0;
                        pieces.UnionWith(haves);
                    }
                }
                return (served, pieces.Count);
            }
            var clock = Stopwatch.StartNew();
            while (Count() is var (served, pieces) && (served < PeerCount - 2 || pieces < PeerCount) && clock.Elapsed < TimeSpan.FromSeconds(8))
            {
                await Task.Delay(50, token);
            }
            var (peersServed, distinct) = Count();
            _output.WriteLine($"{distinct} pieces advertised, {peersServed} of {PeerCount} peers told of one: " +
                string.Join(" ", advertised.Select(h => h.Count)));

            // One unseen piece out per receiving peer; only as many peers go without as the
            // first two hold beyond one piece each.
            Assert.Equal(PeerCount, distinct);
            Assert.InRange(peersServed, PeerCount - 2, PeerCount);
        }
        finally
        {
            timeout.Cancel();
            await Task.WhenAll(loops);
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }
}
