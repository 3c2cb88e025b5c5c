namespace Ezio.Boot.Tests;

/// <summary>What the QEMU tests run: the emulator and the OVMF firmware (a file, found by its absolute path).</summary>
internal static class VmTools
{
    public static readonly string[] Needed = ["qemu-system-x86_64", "/usr/share/OVMF/OVMF_CODE_4M.fd"];
}
