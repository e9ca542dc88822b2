using System;

namespace ModelCompiler.Graph;

/// <summary>
/// A problem with the model itself (bad attribute, inconsistent shapes, missing input), as opposed to a bug
/// in the compiler. The pipeline turns it into an MC0008 diagnostic naming the node.
/// </summary>
internal sealed class ModelError : Exception
{
    public ModelError(string message) : base(message) { }
}
