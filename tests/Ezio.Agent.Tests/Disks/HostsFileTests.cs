using Ezio.Agent.Disks;
using Xunit;

namespace Ezio.Agent.Tests.Disks;

public sealed class HostsFileTests
{
    [Fact]
    public void SetHostname_DebianHosts_ReplacesThe127011Line()
    {
        const string hosts = "127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n\n# IPv6\n::1     localhost ip6-localhost\n";

        var text = HostsFile.SetHostname(hosts, "lab-pc-07");

        Assert.Equal("127.0.0.1\tlocalhost\n127.0.1.1\tlab-pc-07\n\n# IPv6\n::1     localhost ip6-localhost\n", text);
    }

    [Fact]
    public void SetHostname_No127011Line_AddsItAfterLocalhost()
    {
        var text = HostsFile.SetHostname("# static\n127.0.0.1 localhost\n10.0.0.1 server\n", "pc1");

        Assert.Equal("# static\n127.0.0.1 localhost\n127.0.1.1\tpc1\n10.0.0.1 server\n", text);
    }

    [Fact]
    public void SetHostname_EmptyFile_WritesLocalhostAndTheName()
    {
        Assert.Equal("127.0.0.1\tlocalhost\n127.0.1.1\tpc1\n", HostsFile.SetHostname("", "pc1"));
    }

    [Fact]
    public void SetHostname_CommentedEntryAndCrLf_LeavesTheCommentKeepsLineEnds()
    {
        var text = HostsFile.SetHostname("#127.0.1.1 old\r\n127.0.0.1 localhost\r\n  127.0.1.1   old old.lab\r\n", "new");

        Assert.Equal("#127.0.1.1 old\r\n127.0.0.1 localhost\r\n127.0.1.1\tnew\r\n", text);
    }

    [Theory]
    [InlineData("pc-07", true)]
    [InlineData("PC7", true)]
    [InlineData("", false)]
    [InlineData("-pc", false)]
    [InlineData("pc-", false)]
    [InlineData("pc.lab", false)]
    [InlineData("pc 1", false)]
    [InlineData("pc/../../etc", false)]
    public void IsValidHostname_Labels(string name, bool valid)
    {
        Assert.Equal(valid, HostsFile.IsValidHostname(name));
    }
}
