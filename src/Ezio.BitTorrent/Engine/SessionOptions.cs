using System.Net;

namespace Ezio.BitTorrent.Engine;

/// <summary>Tunables of one torrent session; the defaults suit a LAN deployment.</summary>
public sealed class SessionOptions
{
    /// <summary>Our 20-byte peer id; random "-EZ0100-..." when null.</summary>
    public byte[]? PeerId { get; init; }

    /// <summary>The TCP port we listen on, announced to trackers and peers (0: not listening).</summary>
    public int ListenPort { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public Microsoft.Extensions.Logging.ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public int MaxConnections { get; init; } = 200;

    /// <summary>Interested peers we unchoke at once. No tit-for-tat: on a LAN every peer is welcome.</summary>
    public int MaxUnchoked { get; init; } = 64;

    /// <summary>Cap on 16 KiB requests outstanding to one peer (also bounded by the peer's reqq).</summary>
    public int MaxRequestsPerPeer { get; init; } = 256;

    /// <summary>
    /// Requests kept outstanding at a peer: this long at the rate it sends us, at least
    /// <see cref="MinRequestBytes"/>. Enough to cover the round trip and keep its uplink busy;
    /// more only queues at the peer behind its other downloaders' requests (docs/engine.md).
    /// </summary>
    public TimeSpan RequestQueueTime { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Bytes of requests outstanding at any unchoking peer at least.</summary>
    public int MinRequestBytes { get; init; } = 64 << 10;

    /// <summary>A peer gets more pieces when fewer than this many bytes of its pieces remain unrequested.</summary>
    public int PeerQueueBytes { get; init; } = 4 << 20;

    /// <summary>Bytes of piece buffers in flight (receiving, hashing, queued for disk) for the session.</summary>
    public long MaxInFlightBytes { get; init; } = 48L << 20;

    /// <summary>Verified pieces waiting for the disk writer; when full, sockets stop being read.</summary>
    public int DiskQueuePieces { get; init; } = 4;

    /// <summary>
    /// While we are the only complete copy, advertise each peer a few pieces nobody else was
    /// given yet, so our uplink carries every piece once before it carries any twice.
    /// </summary>
    public bool SuperSeed { get; init; } = true;

    /// <summary>
    /// Relay blocks before their piece is whole (ezio_relay) on torrents with block roots:
    /// each block checked against the piece's block list is passed on as it arrives. Off by
    /// default: on the LAN bench it saved no time and cost 10-25 % more CPU (docs/engine.md).
    /// </summary>
    public bool Relay { get; init; }

    /// <summary>Failed piece hashes after which a peer is banned for the session.</summary>
    public int MaxHashFailures { get; init; } = 2;

    /// <summary>Announce URLs override; null uses the torrent's.</summary>
    public IReadOnlyList<Uri>? Trackers { get; init; }

    /// <summary>Peers to dial besides those the trackers give.</summary>
    public IReadOnlyList<IPEndPoint> InitialPeers { get; init; } = [];

    /// <summary>Hash what the storage already holds before downloading (resume, incremental redeploy).</summary>
    public bool Recheck { get; init; } = true;

    /// <summary>
    /// Finish the recheck before joining the swarm (a seeder must know what it holds before
    /// it advertises). By default the recheck runs while the swarm starts.
    /// </summary>
    public bool RecheckBeforeStart { get; init; }

    /// <summary>Trust the storage to hold every piece (a seeder that skips the recheck).</summary>
    public bool AssumeComplete { get; init; }

    /// <summary>
    /// Piece compressor; when set, peers that speak <c>ezio_zpiece</c> exchange whole pieces
    /// compressed (plain BEP 3 blocks with everyone else).
    /// </summary>
    public Compression.IPieceCodec? Codec { get; init; }

    /// <summary>Level used when a piece must be compressed on the fly (fast by default).</summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>
    /// Recently received compressed pieces kept for relaying without recompressing. A piece
    /// is passed on to each other machine over many seconds, and one compressed again on the
    /// fly travels larger (fast level) and costs CPU, so the default is large: a sixteenth of
    /// the memory this process may use, between 16 MiB and 1 GiB.
    /// </summary>
    public long CompressedCacheBytes { get; init; } = DefaultCompressedCacheBytes();

    private static long DefaultCompressedCacheBytes() =>
        Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 16, 16L << 20, 1L << 30);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The client name sent in the extension handshake ("v").</summary>
    public string ClientName { get; init; } = "Ezio 0.1";

    /// <summary>
    /// Web seeds (BEP 19) to fetch whole pieces from over HTTP range requests, besides the
    /// torrent's own <c>url-list</c>. Layout rules in <see cref="WebSeed"/>.
    /// </summary>
    public IReadOnlyList<Uri> WebSeeds { get; init; } = [];

    /// <summary>Pieces one web seed fetches at once (one after a hash failure).</summary>
    public int WebSeedPieces { get; init; } = 4;

    /// <summary>A web seed's piece request that takes longer than this fails (and is retried later).</summary>
    public TimeSpan WebSeedTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Failures in a row (errors, timeouts, short bodies) after which a web seed is given up.</summary>
    public int WebSeedMaxFailures { get; init; } = 8;

    /// <summary>
    /// The networks this machine is on (<see cref="PeerLocality.Detect"/>); a peer outside all
    /// of them is routed, and gets neither uploads nor endgame requests from us while seeds
    /// serve us (the rules: <see cref="PeerLocality"/>). Null: every peer is near.
    /// </summary>
    public IReadOnlyList<IPNetwork>? LocalNetworks { get; init; }
}
