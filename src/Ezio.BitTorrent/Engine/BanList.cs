using System.Net;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Strikes (pieces that failed their hash) and bans for one session. A peer is known by its
/// peer id and, off loopback, by its address: a peer that drops a connection and dials again
/// (or holds two at once) keeps its strikes and its ban. On loopback every test peer shares
/// an address, so there the endpoint stands in for it.
/// </summary>
/// <remarks>Owned by the swarm loop; read elsewhere only after that loop stopped.</remarks>
internal sealed class BanList
{
    private readonly HashSet<string> _banned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _strikes = new(StringComparer.Ordinal);

    private static string[] Identities(ReadOnlySpan<byte> peerId, IPEndPoint endPoint) =>
        IPAddress.IsLoopback(endPoint.Address)
            ? [Convert.ToHexString(peerId), endPoint.ToString()]
            : [Convert.ToHexString(peerId), endPoint.Address.ToString()];

    /// <summary>Counts a bad piece against everything the peer is known by; returns its strikes.</summary>
    public int Strike(ReadOnlySpan<byte> peerId, IPEndPoint endPoint)
    {
        var strikes = 0;
        foreach (var identity in Identities(peerId, endPoint))
        {
            _strikes.TryGetValue(identity, out var count);
            _strikes[identity] = ++count;
            strikes = Math.Max(strikes, count);
        }
        return strikes;
    }

    public int StrikesOf(ReadOnlySpan<byte> peerId, IPEndPoint endPoint)
    {
        var strikes = 0;
        foreach (var identity in Identities(peerId, endPoint))
        {
            strikes = Math.Max(strikes, _strikes.GetValueOrDefault(identity));
        }
        return strikes;
    }

    public void Ban(ReadOnlySpan<byte> peerId, IPEndPoint endPoint)
    {
        foreach (var identity in Identities(peerId, endPoint))
        {
            _banned.Add(identity);
        }
        _banned.Add(endPoint.ToString());
    }

    public bool IsBanned(ReadOnlySpan<byte> peerId, IPEndPoint endPoint)
    {
        foreach (var identity in Identities(peerId, endPoint))
        {
            if (_banned.Contains(identity))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether to dial an endpoint: not when it, or its address off loopback, is banned.</summary>
    public bool IsBanned(IPEndPoint endPoint) =>
        _banned.Contains(endPoint.ToString()) || (!IPAddress.IsLoopback(endPoint.Address) && _banned.Contains(endPoint.Address.ToString()));

    public bool IsBannedPeerId(ReadOnlySpan<byte> peerId) => _banned.Contains(Convert.ToHexString(peerId));
}
