using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ezio.TestKit.Net;

namespace Ezio.TestKit.Processes;

/// <summary>
/// Whether an opentracker just started is ready for a test: its HTTP side tracks a listed
/// torrent and its UDP side answers a connect (BEP 15). opentracker answers HTTP once its loop
/// runs, but reads its whitelist in another thread: until then every announce is refused as
/// "not authorized", so an answer alone is not enough.
/// </summary>
internal static class OpentrackerProbe
{
    private const long UdpProtocolId = 0x41727101980;

    /// <summary>Null when ready; otherwise what is still missing.</summary>
    public static async Task<string?> NotReadyAsync(int port, string? listedHash, CancellationToken token)
    {
        string? http = listedHash is null ? await ScrapeAsync(port, token) : await AnnounceAsync(port, listedHash, token);
        return http ?? await UdpConnectAsync(port, token);
    }

    /// <summary>
    /// A started announce of the listed torrent must be tracked (no failure reason); the probe
    /// peer (127.0.0.1 on the tracker's own port) then stops, so no test ever sees it.
    /// </summary>
    private static async Task<string?> AnnounceAsync(int port, string listedHash, CancellationToken token)
    {
        string query = "/announce?info_hash=" + Escape(Convert.FromHexString(listedHash))
            + "&peer_id=-EZ0000-readiness000&port=" + port.ToString(CultureInfo.InvariantCulture)
            + "&uploaded=0&downloaded=0&left=1&compact=1&event=";
        string started = await HttpProbe.GetAsync(port, query + "started", token);
        if (!IsTracked(started))
        {
            return $"announce answered '{started}'";
        }
        string stopped = await HttpProbe.GetAsync(port, query + "stopped", token);
        return IsTracked(stopped) ? null : $"stopped announce answered '{stopped}'";
    }

    private static async Task<string?> ScrapeAsync(int port, CancellationToken token)
    {
        string scrape = await HttpProbe.GetAsync(port, "/scrape", token);
        return scrape.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? null : $"scrape answered '{scrape}'";
    }

    private static bool IsTracked(string response) =>
        response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)
        && response.Contains("8:interval", StringComparison.Ordinal)
        && !response.Contains("failure reason", StringComparison.Ordinal);

    /// <summary>
    /// BEP 15 connect: send protocol id, action 0, transaction id (16 bytes); the answer is
    /// action 0, the same transaction id and a connection id (16 bytes).
    /// </summary>
    private static async Task<string?> UdpConnectAsync(int port, CancellationToken token)
    {
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        var request = new byte[16];
        int transaction = Random.Shared.Next();
        BinaryPrimitives.WriteInt64BigEndian(request, UdpProtocolId);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), transaction);
        await udp.SendAsync(request, new IPEndPoint(IPAddress.Loopback, port), token);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
        wait.CancelAfter(TimeSpan.FromSeconds(1));
        UdpReceiveResult answer = await udp.ReceiveAsync(wait.Token);
        byte[] reply = answer.Buffer;
        return reply.Length >= 16
            && BinaryPrimitives.ReadInt32BigEndian(reply) == 0
            && BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(4)) == transaction
            ? null
            : $"UDP connect answered {Convert.ToHexString(reply)}";
    }

    private static string Escape(byte[] bytes) =>
        string.Concat(bytes.Select(b => "%" + b.ToString("x2", CultureInfo.InvariantCulture)));
}
