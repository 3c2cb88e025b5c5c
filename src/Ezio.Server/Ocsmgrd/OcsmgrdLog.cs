using System.Net;

namespace Ezio.Server.Ocsmgrd;

internal static partial class OcsmgrdLog
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "ocsmgrd compatibility: listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Client {Ip} ({Mac}) finished restoring. Stats: {Stats}")]
    public static partial void Finished(ILogger logger, string ip, string mac, string stats);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "ocsmgrd report from {Peer} rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Error, Message = "ocsmgrd: cannot write the boot menus of {Mac} ({Ip})")]
    public static partial void WriteFailed(ILogger logger, string mac, string ip, Exception exception);

    [LoggerMessage(EventId = 704, Level = LogLevel.Error, Message = "ocsmgrd compatibility: cannot listen on port {Port}; Clonezilla reports will not be heard")]
    public static partial void ListenFailed(ILogger logger, int port, Exception exception);

    [LoggerMessage(EventId = 705, Level = LogLevel.Information, Message = "ocsmgrd: {Mac} ({Ip}) now boots from local disk ({Files})")]
    public static partial void MenusWritten(ILogger logger, string mac, string ip, string files);

    [LoggerMessage(EventId = 706, Level = LogLevel.Warning, Message = "ocsmgrd: {Count} more reports were rejected in the last minute (not logged one by one)")]
    public static partial void RejectedNotLogged(ILogger logger, int count);
}
