using System.Net;
using System.Runtime.InteropServices;
using Ezio.BitTorrent.Metainfo;
using Ezio.Cli;

namespace Ezio.Commands;

internal static class Common
{
    public const int DefaultPort = 6881;

    /// <summary>Loads a .torrent from a path or an http(s) URL (bounded to 32 MiB).</summary>
    public static async Task<Torrent> LoadTorrentAsync(string source, CancellationToken cancellationToken)
    {
        byte[] bytes;
        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30), MaxResponseContentBufferSize = 32 << 20 };
            try
            {
                using var response = await http.GetAsync(source, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new UsageException($"cannot fetch the torrent from {source}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                }
                bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new UsageException($"cannot fetch the torrent from {source}: {e.HttpRequestError}");
            }
        }
        else
        {
            if (!File.Exists(source))
            {
                throw new UsageException($"no such torrent file: {source}");
            }
            bytes = await File.ReadAllBytesAsync(source, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            return Torrent.Parse(bytes);
        }
        catch (TorrentFormatException e)
        {
            throw new UsageException($"{source} is not a valid torrent: {e.Message}");
        }
    }

    public static List<IPEndPoint> ParsePeers(IReadOnlyList<string> values)
    {
        var peers = new List<IPEndPoint>();
        foreach (var value in values)
        {
            if (!IPEndPoint.TryParse(value, out var endPoint) || endPoint.Port == 0)
            {
                var colon = value.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is <= 0 or > 65535)
                {
                    throw new UsageException($"--peer wants HOST:PORT, not '{value}'.");
                }
                var addresses = Dns.GetHostAddresses(value[..colon]);
                if (addresses.Length == 0)
                {
                    throw new UsageException($"--peer: cannot resolve '{value[..colon]}'.");
                }
                endPoint = new IPEndPoint(addresses[0], port);
            }
            peers.Add(endPoint);
        }
        return peers;
    }

    public static List<Uri>? ParseTrackers(IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return null;
        }
        var uris = new List<Uri>();
        foreach (var value in values)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "udp"))
            {
                throw new UsageException($"--tracker wants an http://, https:// or udp:// announce URL, not '{value}'.");
            }
            uris.Add(uri);
        }
        return uris;
    }

    /// <summary>--web-seed values: absolute http(s) URLs (BEP 19 web seeds).</summary>
    public static List<Uri> ParseWebSeeds(IReadOnlyList<string> values)
    {
        var uris = new List<Uri>();
        foreach (var value in values)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--web-seed wants an http:// or https:// URL, not '{value}'.");
            }
            uris.Add(uri);
        }
        return uris;
    }

    /// <summary>Cancels the token on SIGTERM or SIGINT (a clean stop, not a kill).</summary>
    public static IDisposable OnStopSignal(CancellationTokenSource cts)
    {
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            cts.Cancel();
        }
        var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        return new Both(term, interrupt);
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
    }

    /// <summary>zstd for ezio_zpiece when libzstd is present and not switched off.</summary>
    public static Ezio.BitTorrent.Compression.IPieceCodec? Codec(bool disabled) =>
        !disabled && Ezio.Imaging.Compression.ZstdPieceCodec.IsAvailable ? Ezio.Imaging.Compression.ZstdPieceCodec.Instance : null;

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
