using System.Net;
using Ezio.BitTorrent.Engine;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class PeerLocalityTests
{
    private static readonly IPNetwork[] Subnet = [IPNetwork.Parse("10.79.1.0/24"), IPNetwork.Parse("127.0.0.0/8")];

    [Theory]
    [InlineData("10.79.1.11", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.79.2.11", true)]
    [InlineData("::ffff:10.79.1.12", false)]
    [InlineData("::ffff:10.79.2.12", true)]
    [InlineData("fd00::1", true)]
    public void IsRouted_AddressOutsideEveryNetwork_IsRouted(string address, bool routed) =>
        Assert.Equal(routed, PeerLocality.IsRouted(Subnet, IPAddress.Parse(address)));

    [Fact]
    public void IsRouted_NoNetworksKnown_NothingIsRouted()
    {
        Assert.False(PeerLocality.IsRouted(null, IPAddress.Parse("192.0.2.1")));
        Assert.False(PeerLocality.IsRouted([], IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Detect_ThisMachine_FindsEveryPrefixIpShows()
    {
        var networks = PeerLocality.Detect();

        // `ip -o addr show`: "2: eth0    inet 192.0.2.2/24 brd ..."; every address/prefix it lists is ours.
        var shown = Shell.Run("ip", "-o", "addr", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])
            .ToList();
        Assert.NotEmpty(shown);
        foreach (var entry in shown)
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var address = IPAddress.Parse(entry[..slash]);
            var prefix = int.Parse(entry[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(networks, n => n.Contains(address) && n.PrefixLength == prefix);
        }
        Assert.False(PeerLocality.IsRouted(networks, IPAddress.Loopback));
    }
}
