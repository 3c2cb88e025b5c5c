using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// Near and routed peers. A peer on one of this machine's networks is near; any other is
/// routed (behind a router, often a slower link a whole subnet shares). While a machine
/// downloads from a seed behind a router it serves no routed leecher (they sit on the seed's
/// side or farther), and while any seed serves it, it asks routed peers for no endgame
/// duplicates: each subnet then takes about one copy across its router whatever peers the
/// tracker lists. With no seed left both lift and the subnets finish from each other.
/// </summary>
public static class PeerLocality
{
    /// <summary>The prefixes of this machine's interfaces that are up (loopback included).</summary>
    public static IReadOnlyList<IPNetwork> Detect()
    {
        var networks = new List<IPNetwork>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus is OperationalStatus.Down)
                {
                    continue;
                }
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var bits = unicast.Address.AddressFamily switch
                    {
                        AddressFamily.InterNetwork => 32,
                        AddressFamily.InterNetworkV6 => 128,
                        _ => -1,
                    };
                    if (unicast.PrefixLength >= 0 && unicast.PrefixLength <= bits)
                    {
                        networks.Add(NetworkOf(unicast.Address, unicast.PrefixLength));
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Nothing readable: every peer counts as near (no locality rules), as without detection.
            return [];
        }
        return networks;
    }

    /// <summary>Whether <paramref name="address"/> lies outside every one of <paramref name="networks"/> (null or empty: never).</summary>
    public static bool IsRouted(IReadOnlyList<IPNetwork>? networks, IPAddress address)
    {
        if (networks is null || networks.Count == 0)
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The network of <paramref name="prefixLength"/> bits that holds <paramref name="address"/> (its host bits cleared).</summary>
    public static IPNetwork NetworkOf(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }
        return new IPNetwork(new IPAddress(bytes), prefixLength);
    }
}
