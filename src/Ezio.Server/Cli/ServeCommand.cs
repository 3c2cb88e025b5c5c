using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ezio.Server.Hosting;
using Ezio.Server.Tracker;

namespace Ezio.Server.Cli;

internal static class ServeCommand
{
    public const string Usage = "ezio-server [--repo DIR] [--listen URL]... [--public-url URL] [--public-api-url URL] [--boot-root DIR] [--ocsmgrd-port N] [--live-dir DIR] [--history FILE] [--state DIR] [--config FILE] [--peer-port N] [--admin-token T] [--admin-token-file FILE] [--insecure] [--signing-key PEM]";
    public const string DefaultConfig = "/etc/ezio/server.json";

    private static readonly string[] Known =
        ["--repo", "--listen", "--public-url", "--public-api-url", "--boot-root", "--ocsmgrd-port", "--live-dir", "--history", "--state", "--config", "--peer-port", "--admin-token", "--admin-token-file", "--signing-key"];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BuildOptions(Options.Parse(args, Known, ["--insecure"]));
        await using var app = ServerHost.Build(options);
        try
        {
            await app.RunAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // Typically the listen address or the peer port is taken.
            await Console.Error.WriteLineAsync("ezio-server: cannot start: " + e.Message).ConfigureAwait(false);
            return 1;
        }
        return 0;
    }

    /// <summary>Defaults, then the config file, then the command line.</summary>
    internal static ServerOptions BuildOptions(Options cl)
    {
        var configPath = cl.Value("--config");
        ServerOptions options;
        if (configPath is not null || File.Exists(DefaultConfig))
        {
            var path = configPath ?? DefaultConfig;
            if (!File.Exists(path))
            {
                throw new UsageException($"no config file {path}");
            }
            options = ServerOptions.LoadFile(path);
        }
        else
        {
            options = new ServerOptions();
        }
        options.Repo = cl.Value("--repo") ?? options.Repo;
        // --listen repeats: e.g. http:// for boot files, torrents and announces, https:// for the API.
        options.Listen = cl.Values("--listen") is { Count: > 0 } listen ? string.Join(';', listen) : options.Listen;
        options.StateDirectory = cl.Value("--state") ?? options.StateDirectory;
        options.Menus.BootRoot = cl.Value("--boot-root") ?? options.Menus.BootRoot;
        options.OcsmgrdPort = cl.Int("--ocsmgrd-port", options.OcsmgrdPort, -1, 65535);
        options.LiveDirectory = cl.Value("--live-dir") ?? options.LiveDirectory;
        options.HistoryFile = cl.Value("--history") ?? options.HistoryFile;
        options.PeerPort = cl.Int("--peer-port", options.PeerPort, 0, 65535);
        options.AdminToken = cl.Value("--admin-token") ?? options.AdminToken;
        options.AdminTokenFile = cl.Value("--admin-token-file") ?? options.AdminTokenFile;
        options.Insecure = cl.Value("--insecure") is not null || options.Insecure;
        options.SigningKeyFile = cl.Value("--signing-key") ?? options.SigningKeyFile;
        if (cl.Value("--public-url") is { } publicUrl)
        {
            options.Menus.ServerUrl = publicUrl;
        }
        else if (configPath is null)
        {
            options.Menus.ServerUrl = GuessPublicUrl(options.Listen);
        }
        if (cl.Value("--public-api-url") is { } apiUrl)
        {
            options.Menus.ApiUrl = apiUrl;
        }
        else if (options.Menus.ApiUrl is null && GuessApiUrl(options.Listen, options.Menus.ServerUrl) is { } guessed)
        {
            options.Menus.ApiUrl = guessed;
        }
        if (options.StateDirectory is null && options.Listen.Contains("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("an https:// listen URL needs a state directory (--state) for its certificate");
        }
        foreach (var tracker in options.Trackers)
        {
            if (!Uri.TryCreate(tracker, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "udp"))
            {
                throw new UsageException($"trackers: '{tracker}' is not an http://, https:// or udp:// announce URL");
            }
        }
        if (!SubnetLocality.TryCreate(options.LocalityPrefixes, out _, out var localityError))
        {
            throw new UsageException(localityError!);
        }
        if (!Directory.Exists(options.Repo))
        {
            throw new UsageException($"image repository {options.Repo} does not exist (--repo)");
        }
        return options;
    }

    /// <summary>The listen URL with a wildcard host replaced by this host's first LAN IPv4 address.</summary>
    internal static string GuessPublicUrl(string listen)
    {
        // Boot files, torrents and announces stay on plain HTTP (iPXE, PXELINUX, libtorrent).
        var urls = listen.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var first = urls.FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? urls.FirstOrDefault() ?? listen;
        if (!Uri.TryCreate(first.Replace("0.0.0.0", "wildcard.invalid").Replace("://*", "://wildcard.invalid").Replace("[::]", "wildcard.invalid"), UriKind.Absolute, out var uri))
        {
            throw new UsageException($"--listen: not a URL: {listen}");
        }
        if (uri.Host != "wildcard.invalid")
        {
            return first.TrimEnd('/');
        }
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? IPAddress.Loopback;
        return $"{uri.Scheme}://{address}:{uri.Port}";
    }

    /// <summary>
    /// The URL agents use for the API when the server listens on https://: that URL, its
    /// wildcard host replaced by the public URL's host. Null without an https:// listen URL.
    /// </summary>
    internal static string? GuessApiUrl(string listen, string publicUrl)
    {
        var https = listen.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (https is null)
        {
            return null;
        }
        var guessed = GuessPublicUrl(https);
        if (!Uri.TryCreate(guessed, UriKind.Absolute, out var api) || !Uri.TryCreate(publicUrl, UriKind.Absolute, out var plain))
        {
            return guessed;
        }
        var wildcard = https.Contains("0.0.0.0", StringComparison.Ordinal) || https.Contains("://*", StringComparison.Ordinal) || https.Contains("[::]", StringComparison.Ordinal);
        return wildcard ? $"https://{plain.Host}:{api.Port}" : guessed;
    }
}
