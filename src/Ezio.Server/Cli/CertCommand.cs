using Ezio.Server.Hosting;

namespace Ezio.Server.Cli;

/// <summary>
/// `cert-fingerprint`: the SHA-256 fingerprint of the server's HTTPS certificate, created in
/// the state directory if it does not exist yet, so `make image` can bake it into the live
/// image before the server first starts.
/// </summary>
internal static class CertCommand
{
    public const string Usage = "ezio-server cert-fingerprint [--state DIR] [--config FILE]";

    public static int Run(string[] args)
    {
        var cl = Options.Parse(args, ["--state", "--config"]);
        if (cl.Positionals.Count != 0)
        {
            throw new UsageException(Usage);
        }
        var configPath = cl.Value("--config") ?? ServeCommand.DefaultConfig;
        if (cl.Value("--config") is { } given && !File.Exists(given))
        {
            throw new UsageException($"no config file {given}");
        }
        var state = cl.Value("--state")
            ?? (File.Exists(configPath) ? ServerOptions.LoadFile(configPath).StateDirectory : null)
            ?? new ServerOptions().StateDirectory!;
        using var certificate = HttpsCertificate.LoadOrCreate(state);
        Console.WriteLine(HttpsCertificate.Fingerprint(certificate));
        return 0;
    }
}
