using Ezio.TestKit.Processes;

namespace Ezio.Boot.Tests;

/// <summary>A QEMU test: needs root (namespaces, tap), QEMU and OVMF; skips as <see cref="SkipRule"/> says.</summary>
internal sealed class VmFactAttribute() : RequiresFactAttribute("QEMU BOOT TEST", VmTools.Needed, needsRoot: true);
