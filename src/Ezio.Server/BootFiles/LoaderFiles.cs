using System.Diagnostics.CodeAnalysis;

namespace Ezio.Server.BootFiles;

/// <summary>
/// The loader that UEFI HTTP Boot fetches from the server instead of over TFTP: iPXE's
/// ipxe/snponly.efi of the boot root (dnsmasq's HTTPClient answer names its URL), which then
/// loads the per-MAC script, kernel and initrd over HTTP as well. Nothing else of the boot
/// root is served this way; the path is checked as <see cref="LiveFiles"/> does.
/// </summary>
internal sealed class LoaderFiles(string? bootRoot)
{
    /// <summary>The loaders HTTP Boot may name, relative to the boot root (pxe/boot-setup.sh).</summary>
    public static readonly string[] Served = ["ipxe/snponly.efi"];

    private readonly LiveFiles files = new(bootRoot);

    public bool TryResolve(string? relative, [NotNullWhen(true)] out FileInfo? file)
    {
        file = null;
        return relative is not null && Served.Contains(relative, StringComparer.Ordinal) && files.TryResolve(relative, out file);
    }
}
