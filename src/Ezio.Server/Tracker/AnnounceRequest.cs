using System.Net;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Tracker;

internal enum AnnounceEvent
{
    None,
    Started,
    Completed,
    Stopped,
}

/// <summary>A validated announce (BEP 3). <see cref="PeerId"/> is exactly 20 bytes.</summary>
internal sealed record AnnounceRequest(
    InfoHash InfoHash,
    byte[] PeerId,
    int Port,
    long Uploaded,
    long Downloaded,
    long Left,
    AnnounceEvent Event,
    int NumWant,
    bool Compact,
    bool NoPeerId,
    IPAddress Address)
{
    public const int DefaultNumWant = 50;
    public const int MaxNumWant = 200;

    /// <summary>
    /// Validates the query of a GET /announce. Errors are what the client sees as its
    /// failure reason (the HTTP status is 400).
    /// </summary>
    public static bool TryParse(TrackerQuery query, IPAddress remote, out AnnounceRequest? request, out string? error)
    {
        request = null;
        var infoHash = query.GetBytes("info_hash");
        if (infoHash is null)
        {
            error = "missing info_hash";
            return false;
        }
        if (infoHash.Length != InfoHash.Size)
        {
            error = "info_hash must be 20 bytes";
            return false;
        }
        var peerId = query.GetBytes("peer_id");
        if (peerId is null || peerId.Length != 20)
        {
            error = peerId is null ? "missing peer_id" : "peer_id must be 20 bytes";
            return false;
        }
        if (!query.TryGetInteger("port", out var port) || port is null or 0 or > 65535)
        {
            error = "port must be 1-65535";
            return false;
        }
        if (!query.TryGetInteger("uploaded", out var uploaded) || !query.TryGetInteger("downloaded", out var downloaded) || !query.TryGetInteger("left", out var left))
        {
            error = "uploaded, downloaded and left must be non-negative integers";
            return false;
        }
        if (!query.TryGetInteger("numwant", out var numWant))
        {
            error = "numwant must be a non-negative integer";
            return false;
        }
        AnnounceEvent announceEvent;
        switch (query.GetText("event"))
        {
            case null or "" or "empty" or "paused":
                announceEvent = AnnounceEvent.None;
                break;
            case "started":
                announceEvent = AnnounceEvent.Started;
                break;
            case "completed":
                announceEvent = AnnounceEvent.Completed;
                break;
            case "stopped":
                announceEvent = AnnounceEvent.Stopped;
                break;
            default:
                error = "unknown event";
                return false;
        }
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }
        request = new AnnounceRequest(
            new InfoHash(infoHash),
            peerId,
            (int)port.Value,
            uploaded ?? 0,
            downloaded ?? 0,
            // A client that omits left is assumed to still need data.
            left ?? long.MaxValue,
            announceEvent,
            (int)Math.Min(numWant ?? DefaultNumWant, MaxNumWant),
            query.GetText("compact") != "0",
            query.GetText("no_peer_id") == "1",
            remote);
        error = null;
        return true;
    }
}
