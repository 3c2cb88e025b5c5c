using System.Collections;
using System.Net;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// The connected peers. The swarm loop adds, removes and walks them; stats and the announcer
/// read them from other threads through the locked snapshots here.
/// </summary>
internal sealed class PeerRoster : IReadOnlyList<PeerConnection>
{
    private readonly List<PeerConnection> _peers = new();
    // For the announcer's thread.
    private volatile int _count;

    /// <summary>Peers connected, readable from any thread.</summary>
    public int Connected => _count;

    public int Count => _peers.Count;

    public PeerConnection this[int index] => _peers[index];

    /// <summary>Swarm loop.</summary>
    public void Add(PeerConnection peer)
    {
        lock (_peers)
        {
            _peers.Add(peer);
            _count = _peers.Count;
        }
    }

    /// <summary>Swarm loop.</summary>
    public void Remove(PeerConnection peer)
    {
        lock (_peers)
        {
            _peers.Remove(peer);
            _count = _peers.Count;
        }
    }

    /// <summary>A copy, from any thread.</summary>
    public PeerConnection[] Snapshot()
    {
        lock (_peers)
        {
            return _peers.ToArray();
        }
    }

    /// <summary>Runs <paramref name="read"/> over the peers under the lock, from any thread.</summary>
    public T Read<T>(Func<List<PeerConnection>, T> read)
    {
        lock (_peers)
        {
            return read(_peers);
        }
    }

    /// <summary>
    /// Swarm loop: connected already, dialled at that endpoint, or dialled us from that address
    /// and said in its extension handshake that it listens on that port. A tracker lists every
    /// machine by its listening port, and the machines that dialled a seed show it other ports;
    /// dialling them again would only make a duplicate, and dropping a duplicate may drop the
    /// connection that carries pieces in flight, which a super-seed then hands out a second time.
    /// </summary>
    public bool IsConnectedTo(IPEndPoint endPoint)
    {
        var address = Plain(endPoint.Address);
        foreach (var peer in _peers)
        {
            if (peer.RemoteEndPoint.Equals(endPoint) ||
                (peer.RemoteListenPort == endPoint.Port && Plain(peer.RemoteEndPoint.Address).Equals(address)))
            {
                return true;
            }
        }
        return false;

        static IPAddress Plain(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
    }

    /// <summary>Swarm loop: the peer connected under this peer id, if any.</summary>
    public PeerConnection? WithPeerId(ReadOnlySpan<byte> peerId)
    {
        foreach (var peer in _peers)
        {
            if (peer.PeerId.AsSpan().SequenceEqual(peerId))
            {
                return peer;
            }
        }
        return null;
    }

    public List<PeerConnection>.Enumerator GetEnumerator() => _peers.GetEnumerator();

    IEnumerator<PeerConnection> IEnumerable<PeerConnection>.GetEnumerator() => _peers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _peers.GetEnumerator();
}
