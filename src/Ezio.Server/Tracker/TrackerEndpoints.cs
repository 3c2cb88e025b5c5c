using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Bencoding;
using Ezio.BitTorrent.Metainfo;

namespace Ezio.Server.Tracker;

/// <summary>
/// GET /announce and /scrape (BEP 3, BEP 23 compact peers, BEP 48 scrape). Responses:
/// <code>
/// d8:completei1e10:incompletei2e8:intervali60e5:peers6:&lt;4-byte IPv4&gt;&lt;2-byte port, big-endian&gt;...e
/// d14:failure reason&lt;len&gt;:&lt;text&gt;e          (HTTP 400 for malformed requests, 200 when the job is over)
/// </code>
/// </summary>
internal static class TrackerEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/announce", Announce);
        app.MapGet("/scrape", Scrape);
    }

    private static IResult Announce(HttpContext context, AnnounceTracker tracker, ILogger<AnnounceTracker> logger)
    {
        var remote = context.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        if (!TrackerQuery.TryParse(context.Request.QueryString.Value, out var query, out var error)
            || !AnnounceRequest.TryParse(query, remote, out var request, out error))
        {
            TrackerLog.Rejected(logger, remote, error!);
            return Bencoded(Failure(error!), StatusCodes.Status400BadRequest);
        }
        var result = tracker.Announce(request!, context.Connection.LocalIpAddress);
        return Bencoded(result.FailureReason is { } reason ? Failure(reason) : Encode(result, request!), StatusCodes.Status200OK);
    }

    private static IResult Scrape(HttpContext context, AnnounceTracker tracker)
    {
        if (!TrackerQuery.TryParse(context.Request.QueryString.Value, out var query, out var error))
        {
            return Bencoded(Failure(error!), StatusCodes.Status400BadRequest);
        }
        var files = new SortedDictionary<string, (byte[] Hash, ScrapeResult Result)>(StringComparer.Ordinal);
        var hashes = query.GetAll("info_hash");
        if (hashes.Count == 0)
        {
            foreach (var (hash, result) in tracker.ScrapeAll())
            {
                files[hash.ToString()] = (hash.ToArray(), result);
            }
        }
        foreach (var bytes in hashes)
        {
            if (bytes.Length != InfoHash.Size)
            {
                return Bencoded(Failure("info_hash must be 20 bytes"), StatusCodes.Status400BadRequest);
            }
            var hash = new InfoHash(bytes);
            files[hash.ToString()] = (bytes, tracker.Scrape(hash) ?? default);
        }
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteDictionaryStart();
        writer.WriteString("files");
        writer.WriteDictionaryStart();
        // Keys sorted by raw bytes; hex order equals byte order.
        foreach (var (_, (hash, result)) in files)
        {
            writer.WriteString(hash);
            writer.WriteDictionaryStart();
            writer.WriteString("complete");
            writer.WriteInteger(result.Complete);
            writer.WriteString("downloaded");
            writer.WriteInteger(result.Downloaded);
            writer.WriteString("incomplete");
            writer.WriteInteger(result.Incomplete);
            writer.WriteEnd();
        }
        writer.WriteEnd();
        writer.WriteEnd();
        return Bencoded(buffer.WrittenSpan.ToArray(), StatusCodes.Status200OK);
    }

    internal static byte[] Failure(string reason)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteDictionaryStart();
        writer.WriteString("failure reason");
        writer.WriteString(reason);
        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    internal static byte[] Encode(AnnounceResult result, AnnounceRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteDictionaryStart();
        writer.WriteString("complete");
        writer.WriteInteger(result.Complete);
        writer.WriteString("incomplete");
        writer.WriteInteger(result.Incomplete);
        writer.WriteString("interval");
        writer.WriteInteger(result.Interval);
        writer.WriteString("min interval");
        writer.WriteInteger(Math.Max(1, result.Interval / 2));
        writer.WriteString("peers");
        if (request.Compact)
        {
            // BEP 23: IPv4 peers only, 6 bytes each; IPv6 peers go to peers6 (BEP 7).
            var v4 = new List<byte>();
            var v6 = new List<byte>();
            Span<byte> port = stackalloc byte[2];
            foreach (var (_, endPoint) in result.Peers)
            {
                var target = endPoint.AddressFamily == AddressFamily.InterNetwork ? v4 : v6;
                target.AddRange(endPoint.Address.GetAddressBytes());
                BinaryPrimitives.WriteUInt16BigEndian(port, (ushort)endPoint.Port);
                target.AddRange(port.ToArray());
            }
            writer.WriteString(v4.ToArray());
            if (v6.Count > 0)
            {
                writer.WriteString("peers6");
                writer.WriteString(v6.ToArray());
            }
        }
        else
        {
            writer.WriteListStart();
            foreach (var (peerId, endPoint) in result.Peers)
            {
                writer.WriteDictionaryStart();
                writer.WriteString("ip");
                writer.WriteString(endPoint.Address.ToString());
                if (!request.NoPeerId)
                {
                    writer.WriteString("peer id");
                    writer.WriteString(peerId);
                }
                writer.WriteString("port");
                writer.WriteInteger(endPoint.Port);
                writer.WriteEnd();
            }
            writer.WriteEnd();
        }
        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    // Handlers return IResult: the request delegate generator compiles against their signatures,
    // and BencodedResult stays private.
    [SuppressMessage("Performance", "CA1859", Justification = "Endpoint handlers return IResult.")]
    private static IResult Bencoded(byte[] body, int status) => new BencodedResult(body, status);

    /// <summary>Raw bencoded body with a status (Results.Bytes has no status parameter).</summary>
    private sealed class BencodedResult(byte[] body, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "text/plain";
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
