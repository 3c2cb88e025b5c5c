using System.Net;
using Ezio.BitTorrent.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

public sealed class BanListTests
{
    private static readonly byte[] _idA = Enumerable.Repeat((byte)0xA1, 20).ToArray();
    private static readonly byte[] _idB = Enumerable.Repeat((byte)0xB2, 20).ToArray();

    [Fact]
    public void Strike_SamePeerIdFromAnotherAddress_CountsOnFromTheFirstStrikes()
    {
        var bans = new BanList();
        Assert.Equal(1, bans.Strike(_idA, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881)));
        Assert.Equal(2, bans.Strike(_idA, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 6881)));
        Assert.Equal(2, bans.StrikesOf(_idA, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 1)));
    }

    [Fact]
    public void StrikesOf_NewPeerIdFromAStruckAddressOffLoopback_KeepsTheAddressStrikes()
    {
        var bans = new BanList();
        bans.Strike(_idA, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881));
        Assert.Equal(1, bans.StrikesOf(_idB, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 7000)));
    }

    [Fact]
    public void IsBanned_OnLoopback_OnlyTheEndPointIsBannedNotTheAddress()
    {
        var bans = new BanList();
        bans.Ban(_idA, new IPEndPoint(IPAddress.Loopback, 6881));

        Assert.True(bans.IsBanned(new IPEndPoint(IPAddress.Loopback, 6881)));
        Assert.False(bans.IsBanned(new IPEndPoint(IPAddress.Loopback, 6882)));
        Assert.False(bans.IsBanned(_idB, new IPEndPoint(IPAddress.Loopback, 6882)));
        Assert.True(bans.IsBanned(_idA, new IPEndPoint(IPAddress.Loopback, 6999)));
        Assert.True(bans.IsBannedPeerId(_idA));
    }

    [Fact]
    public void IsBanned_OffLoopback_EveryPortOfTheAddressIsBanned()
    {
        var bans = new BanList();
        bans.Ban(_idA, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 6881));

        Assert.True(bans.IsBanned(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5000)));
        Assert.True(bans.IsBanned(_idB, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5000)));
        Assert.False(bans.IsBanned(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 6881)));
    }
}
