using System.Net;
using System.Net.Http.Headers;
using Xunit;

namespace Ezio.Server.Tests.BootFiles;

public sealed class LiveFilesTests
{
    [Fact]
    public async Task Get_LiveFiles_ServedWithLengthAndRanges()
    {
        var dirs = new TestDirs();
        var live = Path.Combine(dirs.Boot, "live");
        Directory.CreateDirectory(live);
        var kernel = new byte[100_000];
        Random.Shared.NextBytes(kernel);
        await File.WriteAllBytesAsync(Path.Combine(live, "vmlinuz-6.1"), kernel);
        File.CreateSymbolicLink(Path.Combine(live, "vmlinuz"), "vmlinuz-6.1");
        await File.WriteAllTextAsync(Path.Combine(live, "filesystem.squashfs"), "squash");
        await using var server = await TestServer.StartAsync(dirs);

        using var whole = await server.Http.GetAsync("/boot/live/vmlinuz");
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal(kernel.Length, whole.Content.Headers.ContentLength);
        Assert.Equal(kernel, await whole.Content.ReadAsByteArrayAsync());

        // The menus' kernel path (ezio/vmlinuz by default) names the same directory.
        Assert.Equal("squash", await server.Http.GetStringAsync("/boot/ezio/filesystem.squashfs"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/boot/live/vmlinuz") { Headers = { Range = new RangeHeaderValue(1000, 1999) } };
        using var part = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(kernel.AsSpan(1000, 1000).ToArray(), await part.Content.ReadAsByteArrayAsync());

        using var head = await server.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/boot/live/filesystem.squashfs"));
        Assert.Equal(6, head.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("/boot/live/../../state/x")]
    [InlineData("/boot/live/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/boot/live/..%2F..%2Fsecret")]
    [InlineData("/boot/live/.hidden")]
    [InlineData("/boot/live/escape")]
    [InlineData("/boot/live/nothere")]
    [InlineData("/boot/live/")]
    [InlineData("/boot/secret")]
    [InlineData("/boot/other/secret")]
    [InlineData("/boot/zz.ipxe")]
    public async Task Get_EscapingOrMissing_404(string path)
    {
        var dirs = new TestDirs();
        var live = Path.Combine(dirs.Boot, "live");
        Directory.CreateDirectory(live);
        await File.WriteAllTextAsync(Path.Combine(live, ".hidden"), "no");
        await File.WriteAllTextAsync(Path.Combine(dirs.Boot, "secret"), "no");
        await File.WriteAllTextAsync(Path.Combine(dirs.Root, "outside"), "no");
        File.CreateSymbolicLink(Path.Combine(live, "escape"), Path.Combine(dirs.Root, "outside"));
        await using var server = await TestServer.StartAsync(dirs);

        using var response = await server.Http.GetAsync(path);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {response.StatusCode}");
        Assert.NotEqual("no", await response.Content.ReadAsStringAsync());
        using var still = await server.Http.GetAsync("/metrics");
        Assert.True(still.IsSuccessStatusCode);
    }

    /// <summary>UEFI HTTP Boot: the DHCP answer's URL names iPXE in the boot root; nothing else of it is served.</summary>
    [Fact]
    public async Task Get_HttpBootLoader_ServedFromTheBootRoot()
    {
        var dirs = new TestDirs();
        Directory.CreateDirectory(Path.Combine(dirs.Boot, "ipxe"));
        Directory.CreateDirectory(Path.Combine(dirs.Boot, "grub"));
        await File.WriteAllTextAsync(Path.Combine(dirs.Boot, "ipxe", "snponly.efi"), "ipxe");
        await File.WriteAllTextAsync(Path.Combine(dirs.Boot, "ipxe", "undionly.kpxe"), "no");
        await File.WriteAllTextAsync(Path.Combine(dirs.Boot, "grub", "grub.cfg"), "no");
        await File.WriteAllTextAsync(Path.Combine(dirs.Boot, "server-menus.json"), "no");
        await using var server = await TestServer.StartAsync(dirs);

        Assert.Equal("ipxe", await server.Http.GetStringAsync("/boot/ipxe/snponly.efi"));
        foreach (var path in new[] { "/boot/ipxe/undionly.kpxe", "/boot/grub/grub.cfg", "/boot/server-menus.json", "/boot/ipxe/../server-menus.json",
                     "/boot/ipxe/%2e%2e/server-menus.json", "/boot/ipxe/" })
        {
            using var response = await server.Http.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{path}: {response.StatusCode}");
            Assert.NotEqual("no", await response.Content.ReadAsStringAsync());
        }
    }
}
