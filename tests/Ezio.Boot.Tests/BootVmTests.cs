using Ezio.TestKit.Files;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>
/// The boot chain in QEMU (TCG). The deploy loop runs the agent initrd through the real chain:
/// dnsmasq DHCP + TFTP in a private network namespace, iPXE, the per-MAC script from the real
/// ezio-server, kernel + initrd, DHCP in the initrd, the agent with the ezio.* parameters, the
/// download onto the VM's empty disk, the done report, the menu flip, the reboot, and the
/// deployed disk's own boot code. About 40 s of VM time here. The live image: make e2e-vm.
/// </summary>
public sealed class BootVmTests
{
    [VmFact]
    public void AgentInitrd_DeployLoop_DeployedDiskBootsAfterTheMenuFlip()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var env = new Dictionary<string, string>
        {
            ["ZSTD_LEVEL"] = "3",
            ["INITRD_AGENT_OUT"] = tmp.Path,
            ["EZIO_BIN"] = Repo.EzioBin,
            ["EZIO_SERVER_BIN"] = Repo.ServerBin,
        };
        var build = Repo.Run("bash", [Repo.Path("initramfs-hooks/mkinitrd-agent.sh"), "--ezio", Repo.EzioBin, "--out", tmp.Path],
            TimeSpan.FromMinutes(8), env);
        Assert.True(build.ExitCode == 0, build.Output);

        var run = Repo.Run("bash", [Repo.Path("tests/boot/e2e-vm.sh"), "--variant", "initrd", "--firmware", "bios", "--deploy", "--timeout", "300"],
            TimeSpan.FromMinutes(8), env);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("PASS initrd/bios deploy loop", run.Stdout, StringComparison.Ordinal);
        // The per-MAC deploy script's command line reached the initrd, with the server's deployment id.
        Assert.Contains("ezio.server=http://10.77.0.1:8080", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"ezio\.job=d\d{8}-\d+", run.Stdout);
        // Each milestone in order: server log, then the serial console.
        var order = new[] { "agent registered (server)", "job issued", "menu flipped to local", "reboot", "deployed system booted" };
        var positions = order.Select(m => run.Stdout.IndexOf("  " + m + " ", StringComparison.Ordinal)).ToArray();
        Assert.True(positions.All(p => p >= 0), "missing milestone:\n" + run.Stdout);
        Assert.True(positions.Zip(positions.Skip(1)).All(p => p.First < p.Second), "milestones out of order:\n" + run.Stdout);
        // The agent's own lines are on the serial console.
        Assert.Contains("complete and flushed", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("disk holds the image", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("EZIO-DEPLOYED-OK platform=pc", run.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The test disk boots on its own, BIOS and UEFI: a failure of the loop is then the chain's.</summary>
    [VmTheory]
    [InlineData("bios", "pc")]
    [InlineData("uefi", "efi")]
    public void TestDisk_BootsItsOwnGrub(string firmware, string platform)
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var disk = tmp.Combine("disk.img");
        Repo.MustSucceed(Repo.Run("bash", [Repo.Path("tests/boot/mk-test-disk.sh"), disk, "8"], TimeSpan.FromMinutes(2)), "mk-test-disk.sh");
        Assert.Contains("No problems found", Repo.Run("sgdisk", ["-v", disk]).Stdout, StringComparison.Ordinal);
        var serial = tmp.Combine("serial.log");
        List<string> qemu = ["-machine", "q35", "-accel", "tcg", "-m", "256", "-display", "none", "-monitor", "none", "-net", "none",
            "-serial", "file:" + serial, "-drive", $"file={disk},format=raw,if=virtio"];
        if (firmware == "uefi")
        {
            var vars = tmp.Combine("vars.fd");
            File.Copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
            qemu.AddRange(["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd", "-drive", $"if=pflash,format=raw,file={vars}"]);
        }
        // GRUB halts the VM after printing its marker; the timeout only bounds a hang.
        var run = Repo.Run("timeout", ["120", "qemu-system-x86_64", .. qemu], TimeSpan.FromMinutes(3));
        var console = File.Exists(serial) ? File.ReadAllText(serial) : "";
        Assert.True(run.ExitCode == 0, $"qemu exited with {run.ExitCode}: {run.Output}\n{console}");
        Assert.Contains("EZIO-DEPLOYED-OK platform=" + platform, console, StringComparison.Ordinal);
    }

    /// <summary>
    /// Secure Boot is enforced by the VM firmware the e2e loop uses (OVMF's Secure Boot build with
    /// Microsoft's keys): the test disk with Debian's signed shim and GRUB boots (shim → GRUB →
    /// marker), and the same disk with the unsigned GRUB is refused, which the console shows.
    /// </summary>
    [VmTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SecureBootFirmware_RunsTheSignedDisk_RefusesTheUnsigned(bool signed)
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        var disk = tmp.Combine("disk.img");
        Repo.MustSucceed(Repo.Run("bash", [Repo.Path("tests/boot/mk-test-disk.sh"), .. (signed ? new[] { "--signed" } : []), disk, "16"],
            TimeSpan.FromMinutes(3)), "mk-test-disk.sh");
        var serial = tmp.Combine("serial.log");
        var vars = tmp.Combine("vars.fd");
        File.Copy("/usr/share/OVMF/OVMF_VARS_4M.ms.fd", vars);
        using var qemu = ChildProcess.Start("qemu-system-x86_64", [
            "-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on", "-accel", "tcg", "-m", "512",
            "-display", "none", "-monitor", "none", "-net", "none", "-serial", "file:" + serial, "-no-reboot",
            "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "-drive", $"if=pflash,format=raw,file={vars}",
            "-drive", $"file={disk},format=raw,if=virtio"]);
        // The signed disk's GRUB halts the VM after its marker; the refusal leaves the firmware
        // looking for another boot option, so the console is watched (bounded) and the VM stopped.
        var want = signed ? "EZIO-DEPLOYED-OK platform=efi" : "Access Denied";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string SerialText() => File.Exists(serial) ? File.ReadAllText(serial) : "";
        while (watch.Elapsed < TimeSpan.FromMinutes(5) && !SerialText().Contains(want, StringComparison.Ordinal) && !qemu.HasExited)
        {
            await Task.Delay(500);
        }
        qemu.KillHard();
        var console = SerialText();
        Assert.True(console.Contains(want, StringComparison.Ordinal), $"no \"{want}\" on the console:\n{console}");
        if (!signed)
        {
            // Refused by the firmware: the unsigned GRUB never ran.
            Assert.DoesNotContain("EZIO-DEPLOYED-OK", console, StringComparison.Ordinal);
            Assert.Contains("UEFI Misc Device", console, StringComparison.Ordinal);
        }
    }
}
