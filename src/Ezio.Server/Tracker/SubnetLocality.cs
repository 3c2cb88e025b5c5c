using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Engine;

namespace Ezio.Server.Tracker;

/// <summary>
/// Which peers share a subnet. An address belongs to the longest listed site prefix that holds
/// it; an address no listed prefix holds, to its /24 (IPv4) or /64 (IPv6). Two peers are
/// local to each other when that subnet is the same. Between subnets, closeness is the length
/// of the longest listed prefix holding both (a rack's /26 inside a building's /20: the
/// building comes before the rest of the site), 0 when none does.
/// </summary>
internal sealed class SubnetLocality
{
    public const int DefaultIPv4Prefix = 24;
    public const int DefaultIPv6Prefix = 64;

    private readonly IPNetwork[] _sites;

    private SubnetLocality(IPNetwork[] sites) => _sites = sites;

    /// <summary>The site prefixes as listed in the config (CIDR), longest first.</summary>
    public IReadOnlyList<IPNetwork> Sites => _sites;

    /// <summary>Parses site prefixes ("10.1.0.0/16", "2001:db8::/48"); host bits must be zero.</summary>
    public static bool TryCreate(IEnumerable<string> sitePrefixes, out SubnetLocality? locality, out string? error)
    {
        locality = null;
        var sites = new List<IPNetwork>();
        foreach (var text in sitePrefixes)
        {
            // .NET masks host bits away; a prefix with host bits set is a typo worth refusing.
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (!IPNetwork.TryParse(text.Trim(), out var network) || slash < 0
                || !IPAddress.TryParse(text.AsSpan(0, slash).Trim(), out var written) || !written.Equals(network.BaseAddress))
            {
                error = $"locality prefix '{text}' is not a network in CIDR form with its host bits zero (e.g. 10.1.0.0/16)";
                return false;
            }
            sites.Add(network);
        }
        error = null;
        locality = new SubnetLocality([.. sites.OrderByDescending(s => s.PrefixLength)]);
        return true;
    }

    /// <summary>The subnet <paramref name="address"/> is local to.</summary>
    public IPNetwork SubnetOf(IPAddress address)
    {
        address = Normalize(address);
        foreach (var site in _sites)
        {
            if (site.Contains(address))
            {
                return site;
            }
        }
        var prefix = address.AddressFamily == AddressFamily.InterNetwork ? DefaultIPv4Prefix : DefaultIPv6Prefix;
        return PeerLocality.NetworkOf(address, prefix);
    }

    /// <summary>Length of the longest listed prefix holding both addresses; 0 when none does.</summary>
    public int Closeness(IPAddress a, IPAddress b)
    {
        a = Normalize(a);
        b = Normalize(b);
        foreach (var site in _sites)
        {
            if (site.Contains(a) && site.Contains(b))
            {
                return site.PrefixLength;
            }
        }
        return 0;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
