using Ezio.TestKit.Files;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>initramfs-hooks/ and live-build/: scripts parse, and the agent initrd holds what the agent needs.</summary>
public sealed class InitramfsTests
{
    [Theory]
    [InlineData("initramfs-hooks/hooks/ezio")]
    [InlineData("initramfs-hooks/scripts/init-bottom/ezio")]
    [InlineData("initramfs-hooks/initrd-agent/init")]
    [InlineData("initramfs-hooks/initrd-agent/udhcpc.script")]
    [InlineData("initramfs-hooks/initrd-agent/systemctl")]
    [InlineData("live-build/config/includes.chroot/usr/sbin/mount.cifs")]
    public void PosixShellScriptsParse(string script)
    {
        // These run under busybox/dash: check them with dash, not bash.
        var result = Repo.Run("dash", ["-n", Repo.Path(script)]);
        Assert.True(result.ExitCode == 0, script + ": " + result.Output);
    }

    [Theory]
    [InlineData("live-build/build.sh")]
    [InlineData("live-build/agent-config.sh")]
    [InlineData("live-build/config/hooks/normal/9100-ezio-units.hook.chroot")]
    [InlineData("live-build/config/hooks/normal/9200-ezio-trim.hook.chroot")]
    [InlineData("live-build/config/includes.chroot/usr/local/sbin/ezio-live-ready")]
    [InlineData("initramfs-hooks/mkinitrd-agent.sh")]
    [InlineData("pxe/boot-setup.sh")]
    [InlineData("pxe/dnsmasq-config.sh")]
    [InlineData("pxe/render.sh")]
    [InlineData("pxe/signed-efi.sh")]
    [InlineData("tests/boot/e2e-vm.sh")]
    [InlineData("tests/boot/render-menu.sh")]
    public void BashScriptsParseAndAreStrict(string script)
    {
        var result = Repo.Run("bash", ["-n", Repo.Path(script)]);
        Assert.True(result.ExitCode == 0, script + ": " + result.Output);
        Assert.Contains("set -euo pipefail", File.ReadAllText(Repo.Path(script)), StringComparison.Ordinal);
    }

    [Fact]
    public void InitramfsHookAnswersPrereqs()
    {
        foreach (var script in new[] { "initramfs-hooks/hooks/ezio", "initramfs-hooks/scripts/init-bottom/ezio" })
        {
            var result = Repo.Run("sh", [Repo.Path(script), "prereqs"]);
            Assert.True(result.ExitCode == 0, script + ": " + result.Output);
        }
    }

    [Fact]
    public void AgentInitrdHoldsTheAgentItsLibrariesAndTools()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var build = Repo.Run("bash", [Repo.Path("initramfs-hooks/mkinitrd-agent.sh"), "--ezio", Repo.EzioBin, "--kernel", "none", "--out", tmp.Path],
            TimeSpan.FromMinutes(5), new Dictionary<string, string> { ["ZSTD_LEVEL"] = "3" });
        Assert.True(build.ExitCode == 0, build.Output);
        var initrd = tmp.Combine("initrd.img");
        Assert.True(new FileInfo(initrd).Length < 40L << 20, "initrd larger than 40 MiB");

        var list = Repo.MustSucceed(Repo.Run("bash", ["-c", "zstd -dc \"$1\" | cpio -t --quiet", "_", initrd]), "cpio -t").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => e.TrimStart('.', '/'))
            .ToHashSet(StringComparer.Ordinal);

        foreach (var entry in new[]
                 {
                     "init", "bin/busybox", "bin/sh", "bin/udhcpc", "usr/local/bin/ezio", "sbin/systemctl",
                     "usr/share/udhcpc/default.script", "lib64/ld-linux-x86-64.so.2",
                     "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libm.so.6",
                     "usr/lib/x86_64-linux-gnu/libssl.so.3", "usr/lib/x86_64-linux-gnu/libcrypto.so.3",
                     "usr/lib/x86_64-linux-gnu/libzstd.so.1", "sbin/sfdisk", "sbin/sgdisk", "sbin/blockdev",
                 })
        {
            Assert.True(list.Contains(entry), $"{entry} not in the initrd; it has: {string.Join(' ', list.Order().Take(80))}");
        }
        // Every library the agent links is there (ldd of the real binary).
        var ldd = Repo.Run("ldd", [Repo.EzioBin]).Stdout;
        foreach (var line in ldd.Split('\n'))
        {
            var arrow = line.IndexOf("=> /", StringComparison.Ordinal);
            if (arrow < 0)
            {
                continue;
            }
            var path = line[(arrow + 3)..].Split(' ')[0].TrimStart('/');
            // lib is a symlink to usr/lib in the initrd, as on a merged-/usr system.
            var inInitrd = list.Contains(path) || (path.StartsWith("lib/", StringComparison.Ordinal) && list.Contains("usr/" + path));
            Assert.True(inInitrd, $"{path} (linked by ezio) not in the initrd");
        }
        var sums = File.ReadAllText(tmp.Combine("SHA256SUMS"));
        Assert.Contains("initrd.img", sums, StringComparison.Ordinal);
    }
}
