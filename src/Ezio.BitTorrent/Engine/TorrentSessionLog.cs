using System.Net;
using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

// Session events worth a log line. Never per block: at most per piece failure, per peer, per
// announce.
internal static partial class TorrentSessionLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Checked {Have} of {Count} pieces already on the target in {Seconds:0.0} s")]
    public static partial void Rechecked(ILogger logger, int have, int count, double seconds);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Peer {EndPoint} connected ({Direction})")]
    public static partial void PeerConnected(ILogger logger, IPEndPoint endPoint, string direction);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Peer {EndPoint} closed: {Reason}")]
    public static partial void PeerClosed(ILogger logger, IPEndPoint endPoint, string? reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Piece {Index} from {EndPoint} failed its SHA-1 check")]
    public static partial void HashFailed(ILogger logger, int index, IPEndPoint endPoint);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Banned peer {EndPoint}: {Reason}")]
    public static partial void Banned(ILogger logger, IPEndPoint endPoint, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "All {Count} pieces verified, written and flushed")]
    public static partial void Completed(ILogger logger, int count);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "Storage failed; the download stops")]
    public static partial void StorageFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Tracker {Tracker}: {Problem}")]
    public static partial void TrackerProblem(ILogger logger, Uri tracker, string problem);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Super-seeding done: every piece reached a peer after {Uploaded} bytes sent")]
    public static partial void SuperSeedDone(ILogger logger, long uploaded);
}
