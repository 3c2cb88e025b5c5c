namespace Ezio.Storage.Interop;

/// <summary>
/// glibc's dev_t encoding (sys/sysmacros.h major/minor): major in bits 8-19 and 44-63, minor in
/// bits 0-7 and 20-43, spread out so small numbers keep the old 16-bit encoding.
/// </summary>
internal static class DeviceNumbers
{
    public static uint Major(ulong dev) => (uint)(((dev >> 32) & 0xfffff000) | ((dev >> 8) & 0x00000fff));

    public static uint Minor(ulong dev) => (uint)(((dev >> 12) & 0xffffff00) | (dev & 0x000000ff));

    public static string Format(uint major, uint minor) => $"{major}:{minor}";
}
