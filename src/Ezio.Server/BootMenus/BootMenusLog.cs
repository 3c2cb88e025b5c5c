namespace Ezio.Server.BootMenus;

internal static partial class BootMenusLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Boot menus of {Mac} now {Kind}")]
    public static partial void Written(ILogger logger, string mac, string kind);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Cannot write the boot menus of {Mac}")]
    public static partial void Failed(ILogger logger, string mac, Exception exception);
}
