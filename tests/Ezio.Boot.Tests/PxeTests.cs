using System.Text.Json;
using Ezio.TestKit.Files;
using Ezio.TestKit.Processes;
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
        using var tmp = new TempDirectory("ezio-boot-test-");
        var conf = Repo.MustSucceed(Repo.Bash("pxe/dnsmasq-config.sh", mode, "--iface", "ezbr0", "--server-ip", "10.77.0.1",
            "--server-url", Server, "--tftp-root", tmp.Path), "dnsmasq-config.sh " + mode).Stdout;
        var file = tmp.Combine(mode + ".conf");
        File.WriteAllText(file, conf);

        var check = Repo.Run("dnsmasq", ["--test", "-C", file]);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("syntax check OK", check.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("@", conf.Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l), StringComparison.Ordinal);
        Assert.Contains("tftp-root=" + tmp.Path, conf, StringComparison.Ordinal);
        Assert.Contains("dhcp-userclass=set:ipxe,iPXE", conf, StringComparison.Ordinal);
        if (mode == "lab")
        {
            Assert.Contains("dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h", conf, StringComparison.Ordinal);
            // UEFI x64 PXE gets the signed shim (Secure Boot on or off), HTTP Boot iPXE's URL.
            Assert.Contains("dhcp-boot=tag:!ipxe,tag:efi64,tag:!httpboot,shimx64.efi", conf, StringComparison.Ordinal);
            Assert.Contains("dhcp-boot=tag:!ipxe,tag:!efi64,tag:!httpboot,ipxe/undionly.kpxe", conf, StringComparison.Ordinal);
            Assert.Contains("dhcp-boot=tag:!ipxe,tag:httpboot," + Server + "/boot/ipxe/snponly.efi", conf, StringComparison.Ordinal);
            Assert.Contains("dhcp-boot=tag:ipxe,ezio.ipxe", conf, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("dhcp-range=10.77.0.0,proxy", conf, StringComparison.Ordinal);
            Assert.Contains("pxe-service=tag:!ipxe,X86-64_EFI,\"Ezio (UEFI)\",shimx64.efi", conf, StringComparison.Ordinal);
            Assert.DoesNotContain("dhcp-authoritative", conf, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("lab", "shim", "shimx64.efi")]
    [InlineData("lab", "ipxe", "ipxe/snponly.efi")]
    [InlineData("lab", "grub", "grub/x86_64-efi/core.efi")]
    [InlineData("proxy", "shim", "shimx64.efi")]
    [InlineData("proxy", "ipxe", "ipxe/snponly.efi")]
    public void DnsmasqConfigNamesTheChosenUefiLoader(string mode, string uefi, string file)
    {
        var conf = Repo.MustSucceed(Repo.Bash("pxe/dnsmasq-config.sh", mode, "--iface", "ezbr0", "--server-ip", "10.77.0.1",
            "--tftp-root", "/srv/tftp", "--uefi", uefi), "dnsmasq-config.sh").Stdout;
        var efiLines = conf.Split('\n')
            .Where(l => (l.StartsWith("dhcp-boot=", StringComparison.Ordinal) && l.Contains("tag:efi64", StringComparison.Ordinal))
                        || l.StartsWith("pxe-service=tag:!ipxe,X86-64_EFI", StringComparison.Ordinal)
                        || l.StartsWith("pxe-service=tag:!ipxe,BC_EFI", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(mode == "lab" ? 1 : 2, efiLines.Count);
        Assert.All(efiLines, l => Assert.Contains("," + file, l, StringComparison.Ordinal));
        // BIOS stays on iPXE whatever UEFI gets.
        Assert.Contains("ipxe/undionly.kpxe", conf, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--uefi", "secureboot")]
    [InlineData("--server-url", "https://10.77.0.1:8443")]
    public void DnsmasqConfigRefusesABadChoice(string option, string value)
    {
        var result = Repo.Bash("pxe/dnsmasq-config.sh", "lab", "--iface", "ezbr0", "--server-ip", "10.77.0.1", "--tftp-root", "/srv/tftp",
            option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(value, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    /// <summary>
    /// The rendered lab configuration in a real dnsmasq, asked by a DHCP client of each architecture
    /// (tests/boot/dhcp-probe.py, in private network namespaces): the offer's boot file is the one
    /// that client can run.
    /// </summary>
    [NamespaceFact]
    public async Task DnsmasqAnswersEachClientArchitectureWithItsLoader()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var ns = $"ezio-dhcparch-{Environment.ProcessId}";
        var conf = tmp.Combine("lab.conf");
        var rendered = Repo.MustSucceed(Repo.Bash("pxe/dnsmasq-config.sh", "lab", "--iface", "ezsrv0", "--server-ip", "10.79.0.1",
            "--tftp-root", tmp.Path), "dnsmasq-config.sh").Stdout;
        File.WriteAllText(conf, rendered.Replace("log-facility=-", "log-facility=" + tmp.Combine("dnsmasq.log"), StringComparison.Ordinal));
        ChildProcess? dnsmasq = null;
        try
        {
            // The client end lives in a namespace of its own: within one, the offer would be routed locally.
            Repo.MustSucceed(Repo.Run("bash", ["-c", """
                set -e
                ip netns add "$1"
                ip netns add "$1-c"
                ip -n "$1" link set lo up
                ip -n "$1" link add ezsrv0 type veth peer name ezcli0 netns "$1-c"
                ip -n "$1" addr add 10.79.0.1/24 dev ezsrv0
                ip -n "$1" link set ezsrv0 up
                ip -n "$1-c" link set ezcli0 up
                """, "_", ns]), "namespaces");
            // ip netns exec execs, so the PID is dnsmasq's own.
            dnsmasq = ChildProcess.Start("ip", ["netns", "exec", ns, "dnsmasq", "--keep-in-foreground", "--conf-file=" + conf,
                "--user=root", "--pid-file=" + tmp.Combine("dnsmasq.pid"), "--dhcp-leasefile=" + tmp.Combine("leases")]);
            // Ready once it has bound its DHCP socket to the interface (bounded: a loaded machine is slow).
            var log = tmp.Combine("dnsmasq.log");
            await dnsmasq.WaitUntilAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("sockets bound exclusively", StringComparison.Ordinal),
                "dnsmasq to bind its DHCP socket (log: " + log + ")", TimeSpan.FromSeconds(30));
            string Ask(string mac, string arch, params string[] classes) =>
                Repo.MustSucceed(Repo.Run("ip", ["netns", "exec", ns + "-c", "python3", Repo.Path("tests", "boot", "dhcp-probe.py"), "ezcli0", mac, arch, .. classes],
                    TimeSpan.FromSeconds(30)), "dhcp-probe arch " + arch).Stdout.Trim();

            Assert.Equal("file=ipxe/undionly.kpxe vendor-class=", Ask("52:54:00:79:00:01", "0"));
            Assert.Equal("file=shimx64.efi vendor-class=", Ask("52:54:00:79:00:02", "7"));
            Assert.Equal("file=shimx64.efi vendor-class=", Ask("52:54:00:79:00:03", "9"));
            // HTTP Boot: a URL, and the vendor class echoed, or the firmware drops the offer.
            Assert.Equal("file=http://10.79.0.1:8080/boot/ipxe/snponly.efi vendor-class=HTTPClient", Ask("52:54:00:79:00:04", "16"));
            Assert.Equal("file=ezio.ipxe vendor-class=", Ask("52:54:00:79:00:05", "7", "PXEClient:Arch:00007", "iPXE"));
        }
        finally
        {
            dnsmasq?.Dispose();
            Repo.Run("ip", ["netns", "del", ns + "-c"]);
            Repo.Run("ip", ["netns", "del", ns]);
        }
    }

    [Fact]
    public void DnsmasqTestRejectsABrokenConfig()
    {
        // The syntax check above must be able to fail.
        using var tmp = new TempDirectory("ezio-boot-test-");
        var file = tmp.Combine("bad.conf");
        File.WriteAllText(file, "dhcp-range=not-an-address\nno-such-option=1\n");
        Assert.NotEqual(0, Repo.Run("dnsmasq", ["--test", "-C", file]).ExitCode);
    }

    [Fact]
    public void RenderRefusesATemplateWithAnUnfilledPlaceholder()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var template = tmp.Combine("t.in");
        File.WriteAllText(template, "a=@ALPHA@\nb=@BETA@\n");
        var partial = Repo.Bash("pxe/render.sh", template, "ALPHA=1");
        Assert.NotEqual(0, partial.ExitCode);
        Assert.Contains("@BETA@", partial.Stderr, StringComparison.Ordinal);
        var full = Repo.MustSucceed(Repo.Bash("pxe/render.sh", template, "ALPHA=1", "BETA=x/y&z"), "render");
        Assert.Equal("a=1\nb=x/y&z\n", full.Stdout);
    }

    [Fact]
    public void BootSetupPopulatesABootRoot()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var live = tmp.Combine("live-src");
        Directory.CreateDirectory(live);
        foreach (var f in new[] { "vmlinuz", "initrd.img", "filesystem.squashfs" })
        {
            File.WriteAllText(System.IO.Path.Combine(live, f), "fake " + f);
        }
        Repo.MustSucceed(Repo.Run("bash", ["-c", "cd \"$1\" && sha256sum vmlinuz initrd.img filesystem.squashfs > SHA256SUMS", "_", live]), "sha256sum");
        var root = tmp.Combine("root");

        Repo.MustSucceed(Repo.Bash("pxe/boot-setup.sh", "--boot-root", root, "--server-url", Server, "--live", live), "boot-setup.sh");

        foreach (var f in new[]
                 {
                     "ipxe/undionly.kpxe", "ipxe/snponly.efi", "ezio.ipxe", "grub/x86_64-efi/core.efi", "grub/grub.cfg",
                     "lpxelinux.0", "ldlinux.c32", "pxelinux.cfg/default", "live/vmlinuz", "live/initrd.img",
                     "live/filesystem.squashfs", "live/SHA256SUMS", "ezio/vmlinuz", "server-menus.json",
                     "shimx64.efi", "grubx64.efi", "mmx64.efi",
                 })
        {
            Assert.True(File.Exists(System.IO.Path.Combine(root, f)), "missing " + f);
        }
        // Secure Boot: shim and the network GRUB beside it carry Authenticode signatures, GRUB's
        // unsigned core.efi none (the check can tell them apart).
        foreach (var f in new[] { "shimx64.efi", "grubx64.efi", "mmx64.efi" })
        {
            Assert.True(PeImage.SignatureBytes(System.IO.Path.Combine(root, f)) > 0, f + " is not signed");
        }
        Assert.Equal(0, PeImage.SignatureBytes(System.IO.Path.Combine(root, "grub", "x86_64-efi", "core.efi")));
        // The signed GRUB's built-in config sources $prefix/x86_64-efi/grub.cfg, else $prefix/grub.cfg, and its
        // prefix is /grub: the same grub/ the server writes the per-MAC menus into.
        var grubImage = File.ReadAllBytes(System.IO.Path.Combine(root, "grubx64.efi"));
        Assert.True(grubImage.AsSpan().IndexOf("normal (memdisk)/grub.cfg\n"u8) >= 0, "signed GRUB without its memdisk config");
        Assert.True(grubImage.AsSpan().IndexOf("\0/grub\0"u8) >= 0, "signed GRUB's prefix is not /grub");
        Assert.True(grubImage.AsSpan().IndexOf("source $prefix/x86_64-efi/grub.cfg"u8) >= 0, "signed GRUB reads another config");
        Assert.Equal("source \"$prefix/grub.cfg\"\n", File.ReadAllText(System.IO.Path.Combine(root, "grub", "x86_64-efi", "grub.cfg")));
        var chain = File.ReadAllText(System.IO.Path.Combine(root, "ezio.ipxe"));
        Assert.StartsWith("#!ipxe", chain, StringComparison.Ordinal);
        Assert.Contains("set ezio_server " + Server, chain, StringComparison.Ordinal);
        Assert.Contains("${ezio_server}/boot/${netX/mac:hexhyp}.ipxe", chain, StringComparison.Ordinal);
        Assert.Contains("sanboot --no-describe --drive 0x80", chain, StringComparison.Ordinal);

        var grubCheck = Repo.Run("grub-script-check", [System.IO.Path.Combine(root, "grub", "grub.cfg")]);
        Assert.True(grubCheck.ExitCode == 0, grubCheck.Output);

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
        Assert.NotEqual(0, Repo.Bash("pxe/boot-setup.sh", "--boot-root", root, "--server-url", Server, "--live", live).ExitCode);
    }

    /// <summary>The server's per-MAC templates (pxe/templates, ezio-server branch): deploy and local forms.</summary>
    [Fact]
    public void ServerMenuTemplatesRenderForASampleMac()
    {
        var dir = Repo.Path("pxe", "templates");
        var templates = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.tmpl") : [];
        using var tmp = new TempDirectory("ezio-boot-test-");
        foreach (var template in templates)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(template);
            var text = Repo.MustSucceed(Repo.Bash("tests/boot/render-menu.sh", template, "mac=" + Mac, "image=win11", "deployment=d1",
                "after=reboot", "server=" + Server, "api=" + Server, "kernel=live/vmlinuz", "initrd=live/initrd.img",
                "append=boot=live fetch=" + Server + "/boot/live/filesystem.squashfs components quiet"), "render " + name).Stdout;
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
            if (name == "grub-local")
            {
                // Under Secure Boot an unsigned loader is refused: each try is reset, the refusal
                // is explained, and the entry ends by returning to the firmware.
                Assert.Contains("set esp=\"\"", text, StringComparison.Ordinal);
                Assert.Contains("set root=$esp\n      if chainloader $loader; then", text, StringComparison.Ordinal);
                Assert.Contains("with Secure Boot on, only a loader signed", text, StringComparison.Ordinal);
                Assert.EndsWith("  exit\n}\n", text, StringComparison.Ordinal);
            }
            if (name.StartsWith("grub", StringComparison.Ordinal))
            {
                var file = tmp.Combine(name + ".cfg");
                File.WriteAllText(file, text);
                var check = Repo.Run("grub-script-check", [file]);
                Assert.True(check.ExitCode == 0, name + ": " + check.Output);
            }
        }
    }

    [Fact]
    public void MenuRendererRefusesAnUnknownPlaceholder()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var template = tmp.Combine("x.tmpl");
        File.WriteAllText(template, "kernel {{server}}/boot/{{kernel}} {{nosuch}}\n");
        var result = Repo.Bash("tests/boot/render-menu.sh", template, "server=" + Server, "kernel=k");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("{{nosuch}}", result.Stderr, StringComparison.Ordinal);
    }
}

/// <summary>Reads a PE image's certificate table: the Authenticode signature Secure Boot checks.</summary>
internal static class PeImage
{
    public static int SignatureBytes(string file)
    {
        var image = File.ReadAllBytes(file);
        var pe = BitConverter.ToInt32(image, 0x3c);
        Assert.True(image[pe] == 'P' && image[pe + 1] == 'E', file + " is not a PE image");
        var magic = BitConverter.ToUInt16(image, pe + 24);
        // Data directory 4 of the optional header: PE32+ at offset 144, PE32 at 128.
        var directory = pe + 24 + (magic == 0x20b ? 144 : 128);
        return BitConverter.ToInt32(image, directory + 4);
    }
}
