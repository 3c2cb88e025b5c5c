namespace Ezio.Server.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Admin token: {Source} {Path} (ezio-server deploy/status/release on this host read it from there)")]
    public static partial void TokenFile(ILogger logger, string source, string path);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "Admin token: from the configuration")]
    public static partial void TokenConfigured(ILogger logger);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "Admin token: no state directory, so a token was made for this run only and not written anywhere; set --admin-token or --state")]
    public static partial void TokenEphemeral(ILogger logger);

    [LoggerMessage(EventId = 903, Level = LogLevel.Warning, Message = "INSECURE: --insecure is set, the admin API needs no token: anyone on the network can create deployments and wipe machines")]
    public static partial void Insecure(ILogger logger);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information,
        Message = "HTTPS certificate SHA-256 {Fingerprint} ({Path}); agents pin it (make image SERVER_CERT_SHA256=..., or ezio-server cert-fingerprint)")]
    public static partial void HttpsCertificate(ILogger logger, string fingerprint, string path);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "The API is served over plain HTTP only: admin token and machine reports travel in clear. Add --listen https://... for the API")]
    public static partial void PlainHttpOnly(ILogger logger);
}
