using Xunit;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>The agent's system tests, run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SystemCollection
{
    public const string Name = "agent system";
}
