using Ezio.Deployment.Contracts;
using Ezio.Server.BootMenus;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.Server.Tests.BootMenus;

public sealed class BootMenuWriterTests
{
    private static readonly MenuTarget Target = new("52:54:00:AB:CD:EF", "debian12", "d20260101-1", AfterAction.Reboot);

    private static (BootMenuWriter Writer, string Root) NewWriter()
    {
        var root = Directory.CreateTempSubdirectory("ezio-menus-").FullName;
        var options = new BootMenuOptions { BootRoot = root, ServerUrl = "http://10.0.0.1:8080/" };
        return (new BootMenuWriter(options, MenuTemplates.LoadEmbedded(), NullLogger<BootMenuWriter>.Instance), root);
    }

    [Fact]
    public void WriteDeploy_AllLoaders_ExactContent()
    {
        var (writer, root) = NewWriter();
        writer.WriteDeploy(Target);
        Assert.Equal("""
            # Ezio: deploy debian12 to 52:54:00:ab:cd:ef (deployment d20260101-1)
            DEFAULT ezio-deploy
            TIMEOUT 30
            PROMPT 0

            LABEL ezio-deploy
              MENU LABEL Ezio: deploy debian12
              KERNEL ezio/vmlinuz
              INITRD ezio/initrd.img
              APPEND boot=live components quiet ezio.server=http://10.0.0.1:8080 ezio.job=d20260101-1 ezio.after=reboot

            """, File.ReadAllText(Path.Combine(root, "pxelinux.cfg", "01-52-54-00-ab-cd-ef")));
        Assert.Equal("""
            # Ezio: deploy debian12 to 52:54:00:ab:cd:ef (deployment d20260101-1)
            set default=0
            set timeout=3

            menuentry "Ezio: deploy debian12" {
              linux /ezio/vmlinuz boot=live components quiet ezio.server=http://10.0.0.1:8080 ezio.job=d20260101-1 ezio.after=reboot
              initrd /ezio/initrd.img
            }

            """, File.ReadAllText(Path.Combine(root, "grub", "grub.cfg-01-52:54:00:ab:cd:ef")));
        Assert.Equal("""
            #!ipxe
            # Ezio: deploy debian12 to 52:54:00:ab:cd:ef (deployment d20260101-1)
            kernel http://10.0.0.1:8080/boot/ezio/vmlinuz boot=live components quiet ezio.server=http://10.0.0.1:8080 ezio.job=d20260101-1 ezio.after=reboot initrd=initrd
            initrd --name initrd http://10.0.0.1:8080/boot/ezio/initrd.img
            boot

            """, File.ReadAllText(Path.Combine(root, "52:54:00:ab:cd:ef.ipxe")));
    }

    [Fact]
    public void WriteLocal_AfterDeploy_ReplacesAtomically()
    {
        var (writer, root) = NewWriter();
        writer.WriteDeploy(Target);
        writer.WriteLocal(Target);
        Assert.Equal("""
            # Ezio: 52:54:00:ab:cd:ef is deployed; boot the local disk
            DEFAULT local
            TIMEOUT 30
            PROMPT 0

            LABEL local
              MENU LABEL Boot from local disk
              LOCALBOOT 0

            """, File.ReadAllText(Path.Combine(root, "pxelinux.cfg", "01-52-54-00-ab-cd-ef")));
        // No temp files left behind: PXELINUX, GRUB (colon and dash names) and iPXE only.
        Assert.Equal(4, Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Count());
        Assert.Equal(File.ReadAllText(Path.Combine(root, "grub", "grub.cfg-01-52:54:00:ab:cd:ef")),
            File.ReadAllText(Path.Combine(root, "grub", "grub.cfg-01-52-54-00-ab-cd-ef")));
    }

    [Fact]
    public void WriteLocal_Ipxe_BiosSanbootsTheDiskUefiChainsGrub()
    {
        var (writer, root) = NewWriter();
        writer.WriteLocal(Target);
        var ipxe = File.ReadAllText(Path.Combine(root, "52:54:00:ab:cd:ef.ipxe"));
        var lines = ipxe.Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToArray();
        // BIOS: INT 13h boot of the first disk, else back to the BIOS's next boot device.
        Assert.Equal(new[] { "iseq ${platform} efi && goto efi ||", "sanboot --no-describe --drive 0x80 ||", "exit", ":efi" }, lines[..4]);
        // UEFI: iPXE cannot start a local loader and "exit" lets the firmware try its other
        // network entries first (minutes in OVMF), so GRUB's local form takes over.
        Assert.Equal(new[] { "isset ${ezio_tftp} || set ezio_tftp ${next-server}", "set netX/next-server ${ezio_tftp} ||", "chain --autofree tftp://${ezio_tftp}/grub/x86_64-efi/core.efi ||", "exit" }, lines[4..]);
    }

    [Fact]
    public void WriteLocal_Grub_ChainloadsTheDisksEfiLoaderBeforeGivingUp()
    {
        var (writer, root) = NewWriter();
        writer.WriteLocal(Target);
        var grub = File.ReadAllText(Path.Combine(root, "grub", "grub.cfg-01-52:54:00:ab:cd:ef"));
        var search = grub.IndexOf("search --no-floppy --set=esp --file $loader", StringComparison.Ordinal);
        // The loader gets the ESP as its root device (shim finds its grubx64.efi there).
        var setRoot = grub.IndexOf("set root=$esp", StringComparison.Ordinal);
        var chain = grub.IndexOf("chainloader $loader", StringComparison.Ordinal);
        var exit = grub.LastIndexOf("  exit\n", StringComparison.Ordinal);
        Assert.True(search > 0 && setRoot > search && chain > setRoot && exit > chain, grub);
        Assert.Contains("for loader in /EFI/BOOT/BOOTX64.EFI ", grub, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("pxelinux.cfg/../../escape")]
    [InlineData("/etc/passwd")]
    public void WriteAtomically_OutsideRoot_Refused(string relative)
    {
        var (writer, root) = NewWriter();
        Assert.Throws<BootMenuPathException>(() => writer.WriteAtomically(relative, "x"));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(root)!, "escape")));
    }

    [Fact]
    public void WriteDeploy_SymlinkedDirectory_Refused()
    {
        var (writer, root) = NewWriter();
        var outside = Directory.CreateTempSubdirectory("ezio-outside-").FullName;
        Directory.CreateSymbolicLink(Path.Combine(root, "pxelinux.cfg"), outside);
        Assert.Throws<BootMenuPathException>(() => writer.WriteDeploy(Target));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public void Render_NotAMac_Refused()
    {
        var (writer, _) = NewWriter();
        Assert.Throws<ArgumentException>(() => writer.WriteDeploy(Target with { Mac = "../../x" }));
    }

    [Fact]
    public void Render_UnknownPlaceholder_Throws()
    {
        Assert.Throws<FormatException>(() => MenuTemplates.Render("a {{nope}} b", "t", new Dictionary<string, string>()));
        Assert.Throws<FormatException>(() => MenuTemplates.Render("a {{mac b", "t", new Dictionary<string, string> { ["mac"] = "m" }));
        Assert.Equal("a m b", MenuTemplates.Render("a {{ mac }} b", "t", new Dictionary<string, string> { ["mac"] = "m" }));
    }
}
