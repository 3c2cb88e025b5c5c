using System.Globalization;
using System.Net;
using System.Text;

namespace Ezio.BitTorrent.Trackers;

// BEP 3  https://www.bittorrent.org/beps/bep_0003.html  (tracker GET request)
// BEP 23 https://www.bittorrent.org/beps/bep_0023.html  (compact=1)
//
//   GET <announce>?info_hash=%xx..(20 bytes)&peer_id=%xx..(20 bytes)&port=6881
//       &uploaded=0&downloaded=0&left=1234&compact=1&numwant=200[&event=started]
//   '&' instead of '?' when <announce> already carries a query (private trackers put keys there).
//   The body is one bencoded dictionary, decoded by TrackerResponseParser.

/// <summary>Announces over HTTP(S). All instances share one connection pool.</summary>
internal sealed class HttpTrackerClient : ITrackerClient
{
    /// <summary>A 4096-peer compact reply is 24 KiB; anything near this bound is hostile.</summary>
    internal const int MaxResponseBytes = 4 * 1024 * 1024;

    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    // One handler for the process: sockets and TLS sessions are pooled across torrents, and
    // rotating pooled connections keeps DNS changes of long-lived trackers visible.
    private static readonly SocketsHttpHandler _sharedHandler = new()
    {
        UseProxy = false,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 4,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = DefaultTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseCookies = false,
    };

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public HttpTrackerClient(Uri announce)
        : this(announce, DefaultTimeout)
    {
    }

    internal HttpTrackerClient(Uri announce, TimeSpan timeout)
    {
        Uri = announce;
        _timeout = timeout;
        // Our own linked token enforces the timeout over headers *and* body, which HttpClient.Timeout does not.
        _http = new HttpClient(_sharedHandler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri Uri { get; }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken cancellationToken)
    {
        AnnounceRequestValidation.Validate(request);
        using var httpRequest = new HttpRequestMessage(HttpMethod.Get, BuildAnnounceUri(Uri, request));
        httpRequest.Headers.TryAddWithoutValidation("User-Agent", "Ezio");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using HttpResponseMessage response = await _http
                .SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, timeout.Token)
                .ConfigureAwait(false);
            byte[] body = await ReadBodyAsync(response.Content, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // Some trackers refuse with HTTP 4xx *and* a bencoded failure reason; prefer their words.
                if (TryParseFailure(body, out AnnounceResponse? refused))
                {
                    return refused;
                }
                throw new TrackerException(
                    $"Tracker {Uri} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
            return TrackerResponseParser.Parse(body, Uri);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TrackerException($"Tracker {Uri} did not answer within {_timeout.TotalSeconds:0.#} s.", e);
        }
        catch (HttpRequestException e)
        {
            throw new TrackerException($"Tracker {Uri} is unreachable: {OneLine(e.Message)}", e);
        }
        catch (IOException e)
        {
            throw new TrackerException($"Tracker {Uri} connection failed: {OneLine(e.Message)}", e);
        }
    }

    public void Dispose() => _http.Dispose();

    internal static Uri BuildAnnounceUri(Uri announce, in AnnounceRequest request)
    {
        // GetLeftPart drops a #fragment, which must never reach the query.
        var url = new StringBuilder(announce.GetLeftPart(UriPartial.Query), 256);
        if (url.ToString().Contains('?'))
        {
            if (url[^1] is not ('?' or '&'))
            {
                url.Append('&');
            }
        }
        else
        {
            url.Append('?');
        }

        Span<byte> infoHash = stackalloc byte[Metainfo.InfoHash.Size];
        request.InfoHash.CopyTo(infoHash);
        url.Append("info_hash=");
        AppendEscaped(url, infoHash);
        url.Append("&peer_id=");
        AppendEscaped(url, request.PeerId.Span);
        url.Append(CultureInfo.InvariantCulture, $"&port={request.Port}");
        url.Append(CultureInfo.InvariantCulture, $"&uploaded={request.Uploaded}");
        url.Append(CultureInfo.InvariantCulture, $"&downloaded={request.Downloaded}");
        url.Append(CultureInfo.InvariantCulture, $"&left={request.Left}");
        url.Append("&compact=1");
        url.Append(CultureInfo.InvariantCulture, $"&numwant={request.NumWant}");
        string? eventName = request.Event switch
        {
            TrackerEvent.Started => "started",
            TrackerEvent.Completed => "completed",
            TrackerEvent.Stopped => "stopped",
            _ => null,
        };
        if (eventName is not null)
        {
            url.Append("&event=").Append(eventName);
        }
        return new Uri(url.ToString(), UriKind.Absolute);
    }

    /// <summary>Percent-escapes every byte outside RFC 3986's unreserved set, so binary hashes survive any server.</summary>
    private static void AppendEscaped(StringBuilder url, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            bool unreserved = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z')
                or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
            if (unreserved)
            {
                url.Append((char)b);
            }
            else
            {
                url.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }

    private async Task<byte[]> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new TrackerException(
                $"Tracker {Uri} sent a {content.Headers.ContentLength}-byte response; the limit is {MaxResponseBytes}.");
        }
        using Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var body = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            // Chunked bodies have no length up front, so the bound is enforced while reading.
            if (body.Length + read > MaxResponseBytes)
            {
                throw new TrackerException($"Tracker {Uri} sent a response larger than {MaxResponseBytes} bytes.");
            }
            body.Write(chunk, 0, read);
        }
        return body.ToArray();
    }

    private bool TryParseFailure(byte[] body, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AnnounceResponse? response)
    {
        response = null;
        try
        {
            AnnounceResponse parsed = TrackerResponseParser.Parse(body, Uri);
            response = parsed.FailureReason is null ? null : parsed;
        }
        catch (TrackerException)
        {
            // Not bencode: an HTML error page, say. The status code is the better message then.
        }
        return response is not null;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
