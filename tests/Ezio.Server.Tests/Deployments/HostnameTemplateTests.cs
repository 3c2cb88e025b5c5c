using Ezio.Server.Deployments;
using Xunit;

namespace Ezio.Server.Tests.Deployments;

public sealed class HostnameTemplateTests
{
    [Theory]
    [InlineData("lab-{index:2}", "52:54:00:AA:BB:01", 7, "lab-07")]
    [InlineData("lab-{index}", "52:54:00:aa:bb:01", 12, "lab-12")]
    [InlineData("pc-{mac6}", "52:54:00:aa:bb:01", 1, "pc-aabb01")]
    [InlineData("n{mac}", "52:54:00:aa:bb:01", 1, "n525400aabb01")]
    [InlineData("fixed", "52:54:00:aa:bb:01", 1, "fixed")]
    public void Render_Placeholders_Expand(string template, string mac, int index, string expected)
    {
        Assert.Equal(expected, HostnameTemplate.Render(template, mac, index));
    }

    [Theory]
    [InlineData("pc-{serial}")]
    [InlineData("pc-{index")]
    [InlineData("pc-{index:0}")]
    [InlineData("pc.{index}")]
    [InlineData("-{index}")]
    [InlineData("{index}-")]
    [InlineData("")]
    public void Render_BadTemplate_Null(string template)
    {
        Assert.Null(HostnameTemplate.Render(template, "52:54:00:aa:bb:01", 1));
        Assert.False(HostnameTemplate.IsUsable(template));
    }

    [Fact]
    public void Render_NameLongerThan63_Null()
    {
        Assert.Null(HostnameTemplate.Render(new string('a', 60) + "{mac6}", "52:54:00:aa:bb:01", 1));
    }
}
