using Microsoft.Extensions.Logging;

namespace Ezio.Server.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information,
        Message = "HTTPS certificate SHA-256 {Fingerprint} ({Path}); agents pin it (make image SERVER_CERT_SHA256=..., or ezio-server cert-fingerprint)")]
    public static partial void HttpsCertificate(ILogger logger, string fingerprint, string path);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "The API is served over plain HTTP only: admin token and machine reports travel in clear. Add --listen https://... for the API")]
    public static partial void PlainHttpOnly(ILogger logger);
}
