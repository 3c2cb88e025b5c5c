using System.Net;
using System.Net.Http.Headers;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.BitTorrent.Engine;

// BEP 19, "WebSeed - HTTP/FTP Seeding (GetRight style)": https://www.bittorrent.org/beps/bep_0019.html
//
// A web seed is a plain HTTP server holding the torrent's bytes; pieces are fetched whole with
// range requests and verified like any peer's. Where the bytes are, by URL:
//
//   URL ends in '/'   BEP 19 directory: each torrent file at <url><name>[/<path>/<segments>],
//                     a piece that spans files takes one range request per file.
//   otherwise         one file holding every torrent byte in torrent order: for a single-file
//                     torrent that is BEP 19's own rule; for a multi-file torrent (every Ezio
//                     disk image) it is the payload `ezio image export-web` writes.
//
//   GET <file>  Range: bytes=<first>-<last>         ->  206, Content-Range: bytes <first>-<last>/<n>
//
// A 200 answer is taken only when the request covered the whole file (the server ignores
// Range otherwise, and would send the whole image for every piece): the seed is given up.

/// <summary>The result of one piece fetch from a web seed.</summary>
internal enum WebSeedOutcome
{
    /// <summary>Every byte arrived; the piece still has to pass its hash.</summary>
    Fetched,

    /// <summary>A failure worth retrying later: timeout, connection error, 5xx, a short body.</summary>
    Failed,

    /// <summary>The server cannot serve this torrent (404, ignores Range, bad Content-Range): give it up.</summary>
    Refused,

    /// <summary>The session is stopping.</summary>
    Stopped,
}

/// <summary>What one web seed did, for status displays.</summary>
public sealed record WebSeedStats(Uri Uri, long Downloaded, double DownloadRate, int Failures, int HashFailures, string? GivenUp);

/// <summary>
/// One web seed: its HTTP client, its rate, and its failure state (backoff, strikes, ban).
/// </summary>
/// <remarks>
/// Threading: <see cref="FetchAsync"/> runs on its own tasks, several at once, and touches only
/// the download it is given and the byte counter. Everything else (in-flight set, failures,
/// backoff, ban) is owned by the session's swarm loop.
/// </remarks>
internal sealed class WebSeed
{
    /// <summary>Longest pause between attempts after failures in a row.</summary>
    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    // One pooled handler for every web seed of the process, as for HTTP trackers. Redirects
    // are followed (object stores and CDNs redirect), content is never decoded (Range applies
    // to the bytes as stored).
    private static readonly SocketsHttpHandler _sharedHandler = new()
    {
        UseProxy = false,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 4,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 16,
        UseCookies = false,
    };

    private static readonly HttpClient _http = new(_sharedHandler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };

    private readonly Torrent _torrent;
    private long _downloaded;
    private long _rateBytes;
    private long _rateTicks;
    private double _rate;

    public WebSeed(Uri uri, Torrent torrent)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"A web seed is an http:// or https:// URL, not '{uri}'.", nameof(uri));
        }
        Uri = uri;
        _torrent = torrent;
    }

    public Uri Uri { get; }

    public long Downloaded => Interlocked.Read(ref _downloaded);

    // Owned by the swarm loop.

    /// <summary>Pieces being fetched now.</summary>
    public HashSet<int> InFlight { get; } = [];

    /// <summary>Failures in a row; reset by a piece that verifies.</summary>
    public int Failures { get; private set; }

    public int HashFailures { get; set; }

    /// <summary>No attempt before this timestamp (backoff after a failure).</summary>
    public long RetryAt { get; private set; }

    /// <summary>Why the seed is no longer used (banned, refused, too many failures); null while in use.</summary>
    public string? GivenUp { get; private set; }

    public bool CanFetch(long now) => GivenUp is null && now >= RetryAt;

    public void Succeeded() => Failures = 0;

    /// <summary>Counts a failure and pauses the seed 1, 2, 4 … up to 60 s; true once it should be given up.</summary>
    public bool Fail(long now, TimeProvider time, int maxFailures)
    {
        Failures++;
        var pause = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, 1 << Math.Min(Failures - 1, 10)));
        RetryAt = now + (long)(pause.TotalSeconds * time.TimestampFrequency);
        return Failures >= maxFailures;
    }

    public void GiveUp(string reason) => GivenUp ??= reason;

    public WebSeedStats Stats() => new(Uri, Downloaded, Volatile.Read(ref _rate), Failures, HashFailures, GivenUp);

    /// <summary>Samples the download rate (called from the swarm loop's tick).</summary>
    public void UpdateRate(long now, TimeProvider time)
    {
        var elapsed = time.GetElapsedTime(_rateTicks, now).TotalSeconds;
        if (_rateTicks != 0 && elapsed < 1)
        {
            return;
        }
        var bytes = Downloaded;
        Volatile.Write(ref _rate, _rateTicks == 0 ? 0 : (bytes - _rateBytes) / elapsed);
        _rateBytes = bytes;
        _rateTicks = now;
    }

    /// <summary>
    /// Fetches piece <paramref name="download"/>.Index whole into its buffer, within
    /// <paramref name="timeout"/> on <paramref name="time"/>'s clock. Never throws: the
    /// outcome and, for failures, a reason come back (the piece always returns to the loop).
    /// </summary>
    public async Task<(WebSeedOutcome Outcome, string? Reason)> FetchAsync(PieceDownload download, TimeSpan timeout, TimeProvider time, CancellationToken stopping)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            var at = 0;
            foreach (var (uri, offset, length, fileLength) in Ranges(download.Index))
            {
                await FetchRangeAsync(uri, offset, download.Buffer.Memory.Slice(at, length), fileLength, linked.Token).ConfigureAwait(false);
                at += length;
            }
            return (WebSeedOutcome.Fetched, null);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return (WebSeedOutcome.Stopped, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return (WebSeedOutcome.Failed, $"piece {download.Index} took longer than {timeout.TotalSeconds:0.#} s");
        }
        catch (WebSeedRefusedException e)
        {
            return (WebSeedOutcome.Refused, e.Message);
        }
        catch (Exception e)
        {
            // Anything else (a connect timeout of the handler, a broken connection, a failure
            // of this one request) is one failure: the piece must go back to the swarm loop.
            return (WebSeedOutcome.Failed, e.Message);
        }
    }

    /// <summary>The requests that make up a piece: (URL, offset in that file, length, file length or -1).</summary>
    internal IEnumerable<(Uri Uri, long Offset, int Length, long FileLength)> Ranges(int index)
    {
        var start = (long)index * _torrent.PieceLength;
        var length = _torrent.GetPieceSize(index);
        if (!Uri.AbsolutePath.EndsWith('/'))
        {
            yield return (Uri, start, length, _torrent.TotalLength);
            yield break;
        }
        var end = start + length;
        foreach (var file in _torrent.Files)
        {
            if (file.Length == 0 || file.Offset + file.Length <= start)
            {
                continue;
            }
            if (file.Offset >= end)
            {
                break;
            }
            var from = Math.Max(start, file.Offset);
            var to = Math.Min(end, file.Offset + file.Length);
            yield return (FileUri(file), from - file.Offset, (int)(to - from), file.Length);
        }
    }

    private Uri FileUri(TorrentFile file)
    {
        var path = Uri.EscapeDataString(_torrent.Name);
        if (_torrent.IsMultiFile)
        {
            path += "/" + string.Join('/', file.PathSegments.Select(Uri.EscapeDataString));
        }
        return new Uri(Uri, path);
    }

    private async Task FetchRangeAsync(Uri uri, long offset, Memory<byte> destination, long fileLength, CancellationToken cancellationToken)
    {
        var last = offset + destination.Length - 1;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Range = new RangeHeaderValue(offset, last);
        request.Headers.TryAddWithoutValidation("User-Agent", "Ezio");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            if (response.Content.Headers.ContentRange is not { } range || range.From != offset || range.To != last)
            {
                throw new WebSeedRefusedException($"{uri} answered bytes {offset}-{last} with another range ({response.Content.Headers.ContentRange})");
            }
        }
        else if (response.StatusCode == HttpStatusCode.OK)
        {
            // Only acceptable when the range asked for was the whole file.
            if (offset != 0 || response.Content.Headers.ContentLength != destination.Length || fileLength != destination.Length)
            {
                throw new WebSeedRefusedException($"{uri} ignores range requests (200 OK instead of 206)");
            }
        }
        else if (status is 408 or 429 or >= 500)
        {
            throw new WebSeedFailedException($"{uri}: HTTP {status} {response.ReasonPhrase}");
        }
        else
        {
            throw new WebSeedRefusedException($"{uri}: HTTP {status} {response.ReasonPhrase}");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var got = 0;
        while (got < destination.Length)
        {
            var n = await body.ReadAsync(destination[got..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new WebSeedFailedException($"{uri}: the body ended after {got} of {destination.Length} bytes");
            }
            got += n;
            Interlocked.Add(ref _downloaded, n);
        }
    }

    public override string ToString() => Uri.ToString();
}

/// <summary>A web seed answer that retrying will not mend.</summary>
internal sealed class WebSeedRefusedException(string message) : Exception(message);

/// <summary>A web seed answer that may be better next time.</summary>
internal sealed class WebSeedFailedException(string message) : Exception(message);
