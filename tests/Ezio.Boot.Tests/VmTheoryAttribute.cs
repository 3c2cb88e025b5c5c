using Ezio.TestKit.Processes;

namespace Ezio.Boot.Tests;

/// <summary>A QEMU theory: needs what <see cref="VmFactAttribute"/> needs.</summary>
internal sealed class VmTheoryAttribute() : RequiresTheoryAttribute("QEMU BOOT TEST", VmTools.Needed, needsRoot: true);
