using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>
/// The agent initrd netbooted in QEMU (TCG) through the real chain: dnsmasq DHCP + TFTP in a
/// private network namespace, iPXE, the per-MAC script over HTTP, kernel + initrd, DHCP in the
/// initrd, the agent started with the ezio.* parameters. About 25 s of VM time here; needs root
/// (namespace, tap), so it does nothing for other users. The full live image: make e2e-vm.
/// </summary>
public sealed class BootVmTests
{
    [Fact]
    public void AgentInitrdNetbootsInQemu()
    {
        if (!Shell.IsRoot)
        {
            return;
        }
        using var tmp = new TempDir();
        var env = new Dictionary<string, string> { ["ZSTD_LEVEL"] = "3", ["INITRD_AGENT_OUT"] = tmp.Dir };
        var build = Shell.Run("bash", [Shell.Path("initramfs-hooks/mkinitrd-agent.sh"), "--ezio", Shell.EzioBin, "--out", tmp.Dir],
            TimeSpan.FromMinutes(8), env);
        Assert.True(build.ExitCode == 0, build.All);

        var run = Shell.Run("bash", [Shell.Path("tests/boot/e2e-vm.sh"), "--variant", "initrd", "--firmware", "bios", "--timeout", "300", "--agent-wait", "5"],
            TimeSpan.FromMinutes(8), env);
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("PASS initrd/bios", run.Output, StringComparison.Ordinal);
        // The kernel command line of the per-MAC script reached the initrd.
        Assert.Contains("ezio.server=http://10.77.0.1:8080", run.Output, StringComparison.Ordinal);
        Assert.Contains("ezio.job=e2e-vm", run.Output, StringComparison.Ordinal);
    }
}
