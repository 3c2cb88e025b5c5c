using System.Text.Json;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>pxe/: dnsmasq configurations, the boot root, fallback menus and the server's templates.</summary>
public sealed class PxeTests
{
    private const string Server = "http://10.77.0.1:8080";
    private const string Mac = "52:54:00:12:34:56";

    [Theory]
    [InlineData("lab")]
    [InlineData("proxy")]
    public void DnsmasqConfigPassesSyntaxCheck(string mode)
    {
        using var tmp = new TempDir();
        var conf = Shell.MustSucceed(Shell.Bash("pxe/dnsmasq-config.sh", mode, "--iface", "ezbr0", "--server-ip", "10.77.0.1",
            "--server-url", Server, "--tftp-root", tmp.Dir), "dnsmasq-config.sh " + mode).Output;
        var file = tmp.Path(mode + ".conf");
        File.WriteAllText(file, conf);

        var check = Shell.Run("dnsmasq", ["--test", "-C", file]);
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Contains("syntax check OK", check.All, StringComparison.Ordinal);
        Assert.DoesNotContain("@", conf.Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l), StringComparison.Ordinal);
        Assert.Contains("tftp-root=" + tmp.Dir, conf, StringComparison.Ordinal);
        Assert.Contains("dhcp-userclass=set:ipxe,iPXE", conf, StringComparison.Ordinal);
        if (mode == "lab")
        {
            Assert.Contains("dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h", conf, StringComparison.Ordinal);
            Assert.Contains("dhcp-boot=tag:!ipxe,tag:efi64,ipxe/snponly.efi", conf, StringComparison.Ordinal);
            Assert.Contains("dhcp-boot=tag:!ipxe,tag:!efi64,ipxe/undionly.kpxe", conf, StringComparison.Ordinal);
            Assert.Contains("dhcp-boot=tag:ipxe,ezio.ipxe", conf, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("dhcp-range=10.77.0.0,proxy", conf, StringComparison.Ordinal);
            Assert.Contains("pxe-service=tag:!ipxe,X86-64_EFI,", conf, StringComparison.Ordinal);
            Assert.DoesNotContain("dhcp-authoritative", conf, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DnsmasqTestRejectsABrokenConfig()
    {
        // The syntax check above must be able to fail.
        using var tmp = new TempDir();
        var file = tmp.Path("bad.conf");
        File.WriteAllText(file, "dhcp-range=not-an-address\nno-such-option=1\n");
        Assert.NotEqual(0, Shell.Run("dnsmasq", ["--test", "-C", file]).ExitCode);
    }

    [Fact]
    public void RenderRefusesATemplateWithAnUnfilledPlaceholder()
    {
        using var tmp = new TempDir();
        var template = tmp.Path("t.in");
        File.WriteAllText(template, "a=@ALPHA@\nb=@BETA@\n");
        var partial = Shell.Bash("pxe/render.sh", template, "ALPHA=1");
        Assert.NotEqual(0, partial.ExitCode);
        Assert.Contains("@BETA@", partial.Error, StringComparison.Ordinal);
        var full = Shell.MustSucceed(Shell.Bash("pxe/render.sh", template, "ALPHA=1", "BETA=x/y&z"), "render");
        Assert.Equal("a=1\nb=x/y&z\n", full.Output);
    }

    [Fact]
    public void BootSetupPopulatesABootRoot()
    {
        using var tmp = new TempDir();
        var live = tmp.Path("live-src");
        Directory.CreateDirectory(live);
        foreach (var f in new[] { "vmlinuz", "initrd.img", "filesystem.squashfs" })
        {
            File.WriteAllText(System.IO.Path.Combine(live, f), "fake " + f);
        }
        Shell.MustSucceed(Shell.Run("bash", ["-c", "cd \"$1\" && sha256sum vmlinuz initrd.img filesystem.squashfs > SHA256SUMS", "_", live]), "sha256sum");
        var root = tmp.Path("root");

        Shell.MustSucceed(Shell.Bash("pxe/boot-setup.sh", "--boot-root", root, "--server-url", Server, "--live", live), "boot-setup.sh");

        foreach (var f in new[]
                 {
                     "ipxe/undionly.kpxe", "ipxe/snponly.efi", "ezio.ipxe", "grub/x86_64-efi/core.efi", "grub/grub.cfg",
                     "lpxelinux.0", "ldlinux.c32", "pxelinux.cfg/default", "live/vmlinuz", "live/initrd.img",
                     "live/filesystem.squashfs", "live/SHA256SUMS", "ezio/vmlinuz", "server-menus.json",
                 })
        {
            Assert.True(File.Exists(System.IO.Path.Combine(root, f)), "missing " + f);
        }
        var chain = File.ReadAllText(System.IO.Path.Combine(root, "ezio.ipxe"));
        Assert.StartsWith("#!ipxe", chain, StringComparison.Ordinal);
        Assert.Contains("set ezio_server " + Server, chain, StringComparison.Ordinal);
        Assert.Contains("${ezio_server}/boot/${netX/mac:hexhyp}.ipxe", chain, StringComparison.Ordinal);
        Assert.Contains("sanboot --no-describe --drive 0x80", chain, StringComparison.Ordinal);

        var grubCheck = Shell.Run("grub-script-check", [System.IO.Path.Combine(root, "grub", "grub.cfg")]);
        Assert.True(grubCheck.ExitCode == 0, grubCheck.All);

        var pxelinux = File.ReadAllText(System.IO.Path.Combine(root, "pxelinux.cfg", "default"));
        Assert.Contains("DEFAULT local", pxelinux, StringComparison.Ordinal);
        Assert.Contains("LOCALBOOT 0", pxelinux, StringComparison.Ordinal);
        Assert.Contains("fetch=" + Server + "/boot/live/filesystem.squashfs", pxelinux, StringComparison.Ordinal);

        using var menus = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(root, "server-menus.json")));
        var m = menus.RootElement.GetProperty("menus");
        Assert.Equal("live/vmlinuz", m.GetProperty("kernel").GetString());
        Assert.Equal(Server, m.GetProperty("serverUrl").GetString());
        Assert.StartsWith("boot=live fetch=", m.GetProperty("append").GetString(), StringComparison.Ordinal);

        // A corrupted live image is refused.
        File.AppendAllText(System.IO.Path.Combine(live, "initrd.img"), "x");
        Assert.NotEqual(0, Shell.Bash("pxe/boot-setup.sh", "--boot-root", root, "--server-url", Server, "--live", live).ExitCode);
    }

    /// <summary>The server's per-MAC templates (pxe/templates, ezio-server branch): deploy and local forms.</summary>
    [Fact]
    public void ServerMenuTemplatesRenderForASampleMac()
    {
        var dir = Shell.Path("pxe", "templates");
        var templates = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.tmpl") : [];
        using var tmp = new TempDir();
        foreach (var template in templates)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(template);
            var text = Shell.MustSucceed(Shell.Bash("tests/boot/render-menu.sh", template, "mac=" + Mac, "image=win11", "deployment=d1",
                "after=reboot", "server=" + Server, "api=" + Server, "kernel=live/vmlinuz", "initrd=live/initrd.img",
                "append=boot=live fetch=" + Server + "/boot/live/filesystem.squashfs components quiet"), "render " + name).Output;
            Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
            if (name.EndsWith("-deploy", StringComparison.Ordinal))
            {
                Assert.Contains("ezio.server=" + Server, text, StringComparison.Ordinal);
                Assert.Contains("live/vmlinuz", text, StringComparison.Ordinal);
            }
            else
            {
                Assert.DoesNotContain("vmlinuz", text, StringComparison.Ordinal);
            }
            if (name.StartsWith("ipxe", StringComparison.Ordinal))
            {
                Assert.StartsWith("#!ipxe", text, StringComparison.Ordinal);
            }
            if (name.StartsWith("grub", StringComparison.Ordinal))
            {
                var file = tmp.Path(name + ".cfg");
                File.WriteAllText(file, text);
                var check = Shell.Run("grub-script-check", [file]);
                Assert.True(check.ExitCode == 0, name + ": " + check.All);
            }
        }
    }

    [Fact]
    public void MenuRendererRefusesAnUnknownPlaceholder()
    {
        using var tmp = new TempDir();
        var template = tmp.Path("x.tmpl");
        File.WriteAllText(template, "kernel {{server}}/boot/{{kernel}} {{nosuch}}\n");
        var result = Shell.Bash("tests/boot/render-menu.sh", template, "server=" + Server, "kernel=k");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("{{nosuch}}", result.Error, StringComparison.Ordinal);
    }
}
