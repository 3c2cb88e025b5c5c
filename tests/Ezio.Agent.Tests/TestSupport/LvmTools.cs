using System.Globalization;
using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// The real lvm2 tools seeing one device only, never device-mapper or udev (the machine has
/// neither): all they report comes from the on-disk label and metadata. Their report only:
/// stderr (warnings about the missing device-mapper) is shown when they fail.
/// </summary>
internal static class LvmTools
{
    public static string Run(string device, string command, params string[] arguments) =>
        Shell.Run("sh", ["-c", "e=$(mktemp); LVM_SUPPRESS_FD_WARNINGS=1 \"$0\" \"$@\" 2>\"$e\"; r=$?; [ $r -eq 0 ] || cat \"$e\"; rm -f \"$e\"; exit $r",
            command, "--config",
            $"devices {{ filter = [ \"a|^{device}$|\", \"r|.*|\" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }} " +
            "activation { udev_sync = 0 udev_rules = 0 } global { activation = 0 }", .. arguments]);

    /// <summary>A number lvm reports in bytes (`--units b --nosuffix`).</summary>
    public static long Bytes(string device, string command, string field, params string[] arguments) =>
        long.Parse(Run(device, command, ["--noheadings", "--units", "b", "--nosuffix", "-o", field, .. arguments]).Trim(), CultureInfo.InvariantCulture);
}
