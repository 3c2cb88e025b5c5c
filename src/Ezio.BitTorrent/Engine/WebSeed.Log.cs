using Microsoft.Extensions.Logging;

namespace Ezio.BitTorrent.Engine;

// Web seed events worth a log line: per failed piece at most, never per byte.
internal static partial class WebSeedLog
{
    [LoggerMessage(EventId = 130, Level = LogLevel.Warning, Message = "Piece {Index} from web seed {Uri} failed its SHA-1 check")]
    public static partial void HashFailed(ILogger logger, int index, Uri uri);

    [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "Banned web seed {Uri}: sent {Count} pieces that failed their SHA-1 check")]
    public static partial void Banned(ILogger logger, Uri uri, int count);

    [LoggerMessage(EventId = 132, Level = LogLevel.Information, Message = "Web seed {Uri} failed ({Failures} in a row): {Reason}")]
    public static partial void Failed(ILogger logger, Uri uri, string reason, int failures);

    [LoggerMessage(EventId = 133, Level = LogLevel.Warning, Message = "Web seed {Uri} is no longer used: {Reason}")]
    public static partial void GivenUp(ILogger logger, Uri uri, string reason);
}
