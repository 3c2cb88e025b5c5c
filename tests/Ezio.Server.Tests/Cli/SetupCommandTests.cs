using System.Security.Cryptography;
using Ezio.Server.Cli;
using Ezio.Server.Hosting;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Server.Tests.Cli;

/// <summary>
/// `ezio-server setup`: what the first run makes (on the loopback interface, with the
/// repository's own pxe/ scripts as the ezio-netboot files), that a second run changes
/// nothing and says so, and that bad input changes nothing.
/// </summary>
public sealed class SetupCommandTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void FirstRunSetsEverythingUp_SecondRunChangesNothing()
    {
        var dirs = new TestDirs();
        var config = WriteConfig(dirs, """, "peerPort": 7001""");
        var dnsmasq = Path.Combine(dirs.Root, "dnsmasq.conf");
        var boot = Path.Combine(dirs.Root, "boot");
        string[] args = ["--interface", "lo", "--config", config, "--netboot", Path.Combine(RepoRoot, "pxe"), "--dnsmasq-conf", dnsmasq, "--user", "root"];

        var first = Run(args);
        Assert.Contains("created " + Path.Combine(dirs.Root, "images"), first, StringComparison.Ordinal);
        Assert.Contains("dashboard: http://127.0.0.1:8080/", first, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(dirs.Root, "images")));
        var token = File.ReadAllText(Path.Combine(dirs.State, "admin-token")).Trim();
        Assert.True(token.Length >= 40, token);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dirs.State, "admin-token")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dirs.State, "signing-key.pem")));
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem(File.ReadAllText(Path.Combine(dirs.State, "signing-key.pem")));
            Assert.Equal(key.ExportSubjectPublicKeyInfoPem() + "\n", File.ReadAllText(Path.Combine(dirs.State, "signing-key.pub")));
        }
        foreach (var file in new[] { "ezio.ipxe", "ipxe/undionly.kpxe", "grub/grub.cfg", "pxelinux.cfg/default", "lpxelinux.0" })
        {
            Assert.True(File.Exists(Path.Combine(boot, file)), file);
        }
        Assert.Contains("http://127.0.0.1:8080", File.ReadAllText(Path.Combine(boot, "ezio.ipxe")), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(boot, "server-menus.json")));

        // The server reads what setup wrote, and the admin's own keys are kept.
        var options = ServerOptions.LoadFile(config);
        Assert.Equal("http://127.0.0.1:8080", options.Menus.ServerUrl);
        Assert.Equal(boot, options.Menus.BootRoot);
        Assert.Equal(Path.Combine(dirs.State, "signing-key.pem"), options.SigningKeyFile);
        Assert.Equal(7001, options.PeerPort);
        Assert.Equal("live/vmlinuz", options.Menus.Kernel);

        var conf = File.ReadAllText(dnsmasq);
        Assert.Contains("interface=lo", conf, StringComparison.Ordinal);
        Assert.Contains("dhcp-range=127.0.0.0,proxy", conf, StringComparison.Ordinal);
        Assert.Contains("tftp-root=" + boot, conf, StringComparison.Ordinal);
        // UEFI machines get the signed shim (Secure Boot on or off), which the boot root holds.
        Assert.Contains("X86-64_EFI,\"Ezio (UEFI)\",shimx64.efi", conf, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(boot, "shimx64.efi")), "no shimx64.efi in the boot root");
        DnsmasqAccepts(dnsmasq);

        var before = Snapshot(dirs.Root);
        var second = Run(args);
        Assert.Contains("nothing changed", second, StringComparison.Ordinal);
        Assert.DoesNotContain("created", second, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dirs.Root));
        Assert.Equal(token, File.ReadAllText(Path.Combine(dirs.State, "admin-token")).Trim());

        // A changed file is put back, and only that one is said.
        File.WriteAllText(dnsmasq, "interface=eth9\n");
        var third = Run(args);
        Assert.Contains("updated " + dnsmasq, third, StringComparison.Ordinal);
        Assert.DoesNotContain("nothing changed", third, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dirs.Root).Select(e => e.Path == dnsmasq ? before.Single(b => b.Path == dnsmasq) : e));
        Assert.Equal(conf, File.ReadAllText(dnsmasq));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void BakesTheSigningKeyIntoTheAgentInitrd_AndRebakesWhenTheKeyChanges()
    {
        var dirs = new TestDirs();
        var config = WriteConfig(dirs, "");
        var boot = Path.Combine(dirs.Root, "boot");
        var netboot = Path.Combine(dirs.Root, "netboot");
        CopyTree(Path.Combine(RepoRoot, "pxe"), netboot);
        var agent = Path.Combine(netboot, "initrd-agent");
        Directory.CreateDirectory(agent);
        var packaged = RandomNumberGenerator.GetBytes(4099); // not a multiple of 4
        packaged[^1] = 0xFF;
        File.WriteAllBytes(Path.Combine(agent, "initrd.img"), packaged);
        File.WriteAllText(Path.Combine(agent, "vmlinuz"), "kernel");
        File.WriteAllText(Path.Combine(agent, "SHA256SUMS"),
            $"{Convert.ToHexStringLower(SHA256.HashData(packaged))}  initrd.img\n{Convert.ToHexStringLower(SHA256.HashData("kernel"u8))}  vmlinuz\n");
        var packagedSums = File.ReadAllText(Path.Combine(agent, "SHA256SUMS"));
        string[] args = ["--interface", "lo", "--config", config, "--netboot", netboot, "--dnsmasq-conf", Path.Combine(dirs.Root, "d.conf"), "--user", "root"];

        var first = Run(args);
        Assert.Contains("trusts only jobs signed by " + Path.Combine(dirs.State, "signing-key.pem"), first, StringComparison.Ordinal);
        var pub = File.ReadAllBytes(Path.Combine(dirs.State, "signing-key.pub"));
        Assert.Equal(pub, TrustedKeyIn(boot, packaged));
        Assert.Equal(packaged, File.ReadAllBytes(Path.Combine(agent, "initrd.img")));
        Assert.Equal(packagedSums, File.ReadAllText(Path.Combine(agent, "SHA256SUMS")));

        // Same key: the initrd made again is the same bytes, nothing is written.
        var before = Snapshot(dirs.Root);
        var second = Run(args);
        Assert.Contains("nothing changed", second, StringComparison.Ordinal);
        Assert.DoesNotContain("trusts only", second, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(dirs.Root));

        // A new key: the initrd is made again from the packaged one, holding only the new key.
        File.Delete(Path.Combine(dirs.State, "signing-key.pem"));
        var third = Run(args);
        Assert.Contains("trusts only jobs signed by", third, StringComparison.Ordinal);
        var newPub = File.ReadAllBytes(Path.Combine(dirs.State, "signing-key.pub"));
        Assert.NotEqual(pub, newPub);
        Assert.Equal(newPub, TrustedKeyIn(boot, packaged));
    }

    [Fact]
    public void LabModeLeasesTheRangeAndDnsmasqAcceptsIt()
    {
        var dirs = new TestDirs();
        var config = WriteConfig(dirs, "");
        var netboot = TemplatesOnly(dirs);
        var dnsmasq = Path.Combine(dirs.Root, "lab.conf");
        var output = Run(["--interface", "lo", "--dhcp", "lab", "--range", "127.0.0.100,127.0.0.150", "--config", config,
            "--netboot", netboot, "--dnsmasq-conf", dnsmasq, "--user", "root"]);
        Assert.Contains("no ezio-netboot files", output, StringComparison.Ordinal);
        var conf = File.ReadAllText(dnsmasq);
        Assert.Contains("dhcp-range=127.0.0.100,127.0.0.150,255.0.0.0,1h", conf, StringComparison.Ordinal);
        Assert.Contains("dhcp-boot=tag:ipxe,ezio.ipxe,,127.0.0.1", conf, StringComparison.Ordinal);
        DnsmasqAccepts(dnsmasq);
    }

    [Theory]
    [InlineData("--interface", "ezio-no-such-if0")]
    [InlineData("--dhcp", "relay")]
    [InlineData("--range", "10.0.0.1")]
    [InlineData("--range", "10.0.0.1,nowhere")]
    public void BadInputChangesNothing(string option, string value)
    {
        var dirs = new TestDirs();
        var config = WriteConfig(dirs, "");
        var netboot = TemplatesOnly(dirs);
        var text = File.ReadAllText(config);
        var before = Snapshot(dirs.Root);
        List<string> args = ["--interface", "lo", "--config", config, "--netboot", netboot, "--dnsmasq-conf", Path.Combine(dirs.Root, "d.conf"), "--user", "root"];
        if (option == "--range")
        {
            args.AddRange(["--dhcp", "lab"]);
        }
        var at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }
        var e = Assert.Throws<UsageException>(() => Run([.. args]));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Equal(before, Snapshot(dirs.Root));
        Assert.Equal(text, File.ReadAllText(config));
    }

    private static string Run(string[] args)
    {
        using var output = new StringWriter();
        Assert.Equal(0, SetupCommand.Run(args, output));
        return output.ToString();
    }

    private static string WriteConfig(TestDirs dirs, string extra)
    {
        var config = Path.Combine(dirs.Root, "server.json");
        File.WriteAllText(config, $$"""
            // packaged defaults, paths in the test directory
            { "repo": "{{Path.Combine(dirs.Root, "images")}}", "stateDirectory": "{{dirs.State}}"{{extra}},
              "menus": { "bootRoot": "{{Path.Combine(dirs.Root, "boot")}}", "kernel": "live/vmlinuz", "initrd": "live/initrd.img", "append": "quiet" } }
            """);
        return config;
    }

    /// <summary>An ezio-netboot directory with only the dnsmasq templates (no boot files: fast).</summary>
    private static string TemplatesOnly(TestDirs dirs)
    {
        var netboot = Path.Combine(dirs.Root, "netboot");
        Directory.CreateDirectory(Path.Combine(netboot, "dnsmasq"));
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot, "pxe", "dnsmasq"), "*.conf.in"))
        {
            File.Copy(file, Path.Combine(netboot, "dnsmasq", Path.GetFileName(file)));
        }
        return netboot;
    }

    /// <summary>
    /// The trusted.pub that the boot root's agent initrd holds: the packaged bytes, zeros to a
    /// 4-byte boundary (the kernel's rule for where the next archive starts), then one newc
    /// archive that cpio extracts. SHA256SUMS must match the new initrd.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static byte[] TrustedKeyIn(string boot, byte[] packaged)
    {
        var live = Path.Combine(boot, "live");
        var initrd = File.ReadAllBytes(Path.Combine(live, "initrd.img"));
        var offset = (packaged.Length + 3) / 4 * 4;
        Assert.Equal(packaged, initrd[..packaged.Length]);
        Assert.All(initrd[packaged.Length..offset], b => Assert.Equal(0, b));
        var appended = initrd[offset..];
        var listing = BootFiles.NewcArchiveTests.Cpio(live, appended, "-t");
        Assert.Equal(["etc", "etc/ezio", "etc/ezio/trusted.pub"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // Exactly one archive: it ends with its trailer and padding, nothing after.
        Assert.Equal(appended.Length, LengthOfFirstArchive(appended));

        var into = Directory.CreateTempSubdirectory("ezio-initrd-").FullName;
        BootFiles.NewcArchiveTests.Cpio(into, appended, "-idm", "--no-absolute-filenames");
        var pub = Path.Combine(into, "etc", "ezio", "trusted.pub");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(pub));

        var sums = File.ReadAllText(Path.Combine(live, "SHA256SUMS"));
        Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData(initrd))}  initrd.img\n", sums, StringComparison.Ordinal);
        Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData("kernel"u8))}  vmlinuz\n", sums, StringComparison.Ordinal);
        return File.ReadAllBytes(pub);
    }

    /// <summary>Walks newc headers (110 bytes, name, data, each padded to 4) up to the trailer; the bytes read.</summary>
    private static int LengthOfFirstArchive(byte[] archive)
    {
        var at = 0;
        while (true)
        {
            Assert.Equal("070701", System.Text.Encoding.ASCII.GetString(archive, at, 6));
            int Field(int i) => Convert.ToInt32(System.Text.Encoding.ASCII.GetString(archive, at + 6 + (8 * i), 8), 16);
            var size = Field(6);
            var nameSize = Field(11);
            var name = System.Text.Encoding.ASCII.GetString(archive, at + 110, nameSize - 1);
            at = (at + 110 + nameSize + 3) / 4 * 4;
            at = (at + size + 3) / 4 * 4;
            if (name == "TRAILER!!!")
            {
                return at;
            }
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            File.SetUnixFileMode(Path.Combine(to, Path.GetFileName(file)), File.GetUnixFileMode(file));
        }
        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }

    /// <summary>Every file and link under <paramref name="root"/> with its contents' hash and its write time.</summary>
    private static List<(string Path, string Hash, DateTime Written)> Snapshot(string root) =>
        [.. new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .OrderBy(f => f.FullName, StringComparer.Ordinal)
            .Select(f => (f.FullName, f is FileInfo { LinkTarget: null } file ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file.FullName))) : f.LinkTarget ?? "dir", f.LastWriteTimeUtc))];

    private static void DnsmasqAccepts(string conf)
    {
        var result = Shell.TryRun("dnsmasq", "--test", "-C", conf);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("syntax check OK", result.Output, StringComparison.Ordinal);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ezio.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Ezio.sln not found above " + AppContext.BaseDirectory);
    }
}
