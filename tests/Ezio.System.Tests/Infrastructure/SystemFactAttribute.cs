using System.Runtime.CompilerServices;
using Ezio.TestKit.Processes;

namespace Ezio.System.Tests.Infrastructure;

/// <summary>
/// A system test: a deployment across network namespaces, which needs root; skips as
/// <see cref="SkipRule"/> says.
/// </summary>
public sealed class SystemFactAttribute([CallerMemberName] string test = "")
    : RequiresFactAttribute("SYSTEM TEST", [], needsRoot: true, test);
