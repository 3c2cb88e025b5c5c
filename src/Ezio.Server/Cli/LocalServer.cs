using Ezio.Deployment.Signing;
using Ezio.Server.Hosting;

namespace Ezio.Server.Cli;

/// <summary>
/// How the admin verbs reach the server on this host: its URL (the https:// listen URL of the
/// config file when there is one, so the admin token does not travel in clear) and, over
/// https, the pin of its certificate read from the state directory.
/// </summary>
internal static class LocalServer
{
    public const string FallbackUrl = "http://127.0.0.1:8080";

    /// <summary>Options of the verbs that talk to the server, besides their own.</summary>
    public static readonly string[] OptionNames = ["--state", "--server-cert-sha256", "--config"];

    /// <summary>--server, EZIO_SERVER, the config file's listen URLs (https first), else http://127.0.0.1:8080.</summary>
    public static string Url(Options cl)
    {
        if ((cl.Value("--server") ?? Environment.GetEnvironmentVariable("EZIO_SERVER")) is { Length: > 0 } explicitUrl)
        {
            return explicitUrl;
        }
        if (Config(cl) is not { } config)
        {
            return FallbackUrl;
        }
        var urls = config.Listen.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var url = urls.FirstOrDefault(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) ?? urls.FirstOrDefault() ?? FallbackUrl;
        // A wildcard listen address is reached on loopback from this host.
        return url.Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://[::1]", StringComparison.Ordinal)
            .Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
    }

    /// <summary>
    /// The handler for <paramref name="url"/>: over https it accepts only the pinned certificate
    /// (--server-cert-sha256, EZIO_SERVER_CERT_SHA256, else the one in the state directory).
    /// </summary>
    public static HttpMessageHandler Handler(Options cl, string url)
    {
        if (!url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new SocketsHttpHandler();
        }
        var pin = cl.Value("--server-cert-sha256") ?? Environment.GetEnvironmentVariable("EZIO_SERVER_CERT_SHA256");
        if (pin is null)
        {
            var state = cl.Value("--state") ?? Config(cl)?.StateDirectory ?? new ServerOptions().StateDirectory!;
            var path = HttpsCertificate.CertificatePath(state);
            if (!File.Exists(path))
            {
                throw new UsageException($"{url} is https but there is no certificate to pin at {path} (--state DIR, or --server-cert-sha256 HEX)");
            }
            using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(path));
            pin = CertificatePin.Fingerprint(certificate);
        }
        if (CertificatePin.Normalize(pin) is null)
        {
            throw new UsageException($"--server-cert-sha256: not a SHA-256 fingerprint: '{pin}'");
        }
        return CertificatePin.Handler(pin);
    }

    private static ServerOptions? Config(Options cl)
    {
        var path = cl.Value("--config") ?? ServeCommand.DefaultConfig;
        if (!File.Exists(path))
        {
            return cl.Value("--config") is null ? null : throw new UsageException($"no config file {path}");
        }
        return ServerOptions.LoadFile(path);
    }
}
