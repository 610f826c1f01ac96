# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Autograd from scratch
#
# Every neural network in this wiki is trained the same way: compute a loss, compute the gradient
# of the loss with respect to every parameter, and take a small step downhill. This demo builds the
# machine that computes those gradients, **reverse-mode automatic differentiation**, for scalars
# and in about a hundred lines of Python. It then checks the result against PyTorch's
# `torch.autograd` and trains a small multi-layer perceptron with it.
#
# The idea behind it is the chain rule. If $L$ depends on $x$ only through $y = f(x)$, then
#
# $$\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \cdot f'(x).$$
#
# So each operation only needs to know its own local derivative, and the gradients can flow
# backwards from the loss, one operation at a time.

# %%
import math
import random

import matplotlib.pyplot as plt
import numpy as np
import torch

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)
torch.set_num_threads(2)

# %% [markdown]
# ## A value that remembers where it came from
#
# `Value` wraps one number (`data`) and the gradient of the final output with respect to it
# (`grad`). Each arithmetic operation returns a new `Value` that records its inputs (`parents`)
# and a small function, `backward_step`, that adds the operation's contribution to the inputs'
# gradients. Gradients are **added**, not assigned, because a value that is used twice receives
# gradient along both paths.
#
# For $z = x \cdot y$ the local derivatives are $\partial z / \partial x = y$ and
# $\partial z / \partial y = x$; for $z = \tanh(x)$ it is $1 - z^2$.

# %%
class Value:
    """A scalar in a computation graph, with the gradient of the graph's output with respect to it."""

    def __init__(self, data, parents=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.op = op
        self.backward_step = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"

    @staticmethod
    def lift(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = Value.lift(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward_step():
            self.grad += out.grad
            other.grad += out.grad

        out.backward_step = backward_step
        return out

    def __mul__(self, other):
        other = Value.lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def backward_step():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.backward_step = backward_step
        return out

    def __pow__(self, exponent):
        assert isinstance(exponent, (int, float)), "only constant exponents are supported"
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def backward_step():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out.backward_step = backward_step
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def backward_step():
            self.grad += out.data * out.grad

        out.backward_step = backward_step
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def backward_step():
            self.grad += (1.0 - out.data**2) * out.grad

        out.backward_step = backward_step
        return out

    def relu(self):
        out = Value(max(0.0, self.data), (self,), "relu")

        def backward_step():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out.backward_step = backward_step
        return out

    # Everything else is built from the operations above.
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Value.lift(other))

    def __truediv__(self, other):
        return self * Value.lift(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value.lift(other) - self

    def __rtruediv__(self, other):
        return Value.lift(other) / self

    def backward(self):
        """Fill in `grad` of every value this one depends on, in reverse topological order."""
        order, seen = [], set()
        # An explicit stack instead of recursion: a training step builds graphs deeper than Python's recursion limit.
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)

        self.grad = 1.0
        for node in reversed(order):
            node.backward_step()


# %% [markdown]
# ## Why the order matters
#
# A value's `backward_step` may only run once its own gradient is complete, that is, after every
# value that uses it has passed its gradient back. A **topological order** of the graph (each value
# after its inputs), walked in reverse, guarantees exactly that. Here is a tiny graph where `a` is
# used twice:

# %%
a = Value(2.0)
b = Value(-3.0)
c = a * b + a  # dc/da = b + 1 = -2, dc/db = a = 2
c.backward()
print(a, b, c, sep="\n")

# %% [markdown]
# ## Checking against PyTorch
#
# PyTorch's `torch.autograd` is the reference. The same expressions are written once for `Value`
# and once for 64-bit tensors, and the gradients of all inputs are compared. Each expression uses
# several operations, and some inputs are used more than once.

# %%
def expressions(x, y, z, exp, tanh, relu):
    """Expressions over three inputs, written once for both engines through the three function arguments."""
    return {
        "polynomial": x**3 * y - 2 * x * y**2 + z / 4,
        "division": (x + 1) / (y * y + 1) - z / (x * x + 2),
        "exp_tanh": tanh(exp(x * 0.5) - y) * z + exp(-z * z),
        "relu_chain": relu(x * y + z) * relu(-x + 3) - relu(z - 10),
        "mlp_like": tanh(relu(x * 0.7 + y * -0.3 + 0.1) * 1.5 + tanh(z)) ** 2,
    }


inputs = {"x": 1.3, "y": -0.7, "z": 2.1}
differences = {}
for name in expressions(*[Value(0)] * 3, Value.exp, Value.tanh, Value.relu):
    ours = {key: Value(number) for key, number in inputs.items()}
    out = expressions(ours["x"], ours["y"], ours["z"], Value.exp, Value.tanh, Value.relu)[name]
    out.backward()

    theirs = {key: torch.tensor(number, dtype=torch.float64, requires_grad=True) for key, number in inputs.items()}
    reference = expressions(theirs["x"], theirs["y"], theirs["z"], torch.exp, torch.tanh, torch.relu)[name]
    reference.backward()

    difference = max(abs(ours[key].grad - theirs[key].grad.item()) for key in inputs)
    difference = max(difference, abs(out.data - reference.item()))
    differences[name] = difference
    print(f"{name:12s} value {out.data:+.6f}  grads " + " ".join(f"{ours[k].grad:+.6f}" for k in inputs) + f"  max |diff| {difference:.1e}")

max_gradient_difference = max(differences.values())
print(f"\nlargest difference from torch.autograd: {max_gradient_difference:.2e}")

# %% [markdown]
# The differences are at the level of floating-point rounding: the engine computes the same
# derivatives as PyTorch.
#
# ## A toy data set: two moons
#
# Two interleaved half circles with a little noise, labelled $-1$ and $+1$. No straight line
# separates them, so the classifier needs a hidden layer.

# %%
def make_moons(count, noise, rng):
    angles = rng.uniform(0, math.pi, count)
    labels = rng.integers(0, 2, count)
    x = np.where(labels == 0, np.cos(angles), 1 - np.cos(angles))
    y = np.where(labels == 0, np.sin(angles), 0.5 - np.sin(angles))
    points = np.stack([x, y], axis=1) + rng.normal(0, noise, (count, 2))
    return points, labels * 2 - 1


rng = np.random.default_rng(0)
points, labels = make_moons(80, 0.1, rng)
plt.figure(figsize=(4.5, 3.5))
plt.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=18, edgecolors="k", linewidths=0.3)
plt.title("Two moons")
plt.show()

# %% [markdown]
# ## A multi-layer perceptron made of `Value`s
#
# A neuron computes $\mathrm{relu}(w \cdot x + b)$, or leaves out the non-linearity in the last
# layer. The network maps two inputs through two hidden layers of 12 neurons to one score.

# %%
class Neuron:
    def __init__(self, inputs, linear):
        self.weights = [Value(random.uniform(-1, 1) / math.sqrt(inputs)) for _ in range(inputs)]
        self.bias = Value(0.0)
        self.linear = linear

    def __call__(self, x):
        total = sum((w * xi for w, xi in zip(self.weights, x)), self.bias)
        return total if self.linear else total.relu()

    def parameters(self):
        return [*self.weights, self.bias]


class MLP:
    def __init__(self, sizes):
        self.layers = [
            [Neuron(sizes[i], linear=(i == len(sizes) - 2)) for _ in range(sizes[i + 1])] for i in range(len(sizes) - 1)
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]


model = MLP([2, 12, 12, 1])
print(f"{len(model.parameters())} parameters")

# %% [markdown]
# ## Training
#
# The loss is the hinge loss, $\max(0, 1 - y \cdot s)$ for label $y$ and score $s$, averaged over
# the data, plus a small L2 penalty on the weights. Each step runs the forward pass on all points,
# calls `backward()` once on the loss, and moves every parameter against its gradient with a
# learning rate that decays from 0.5 to 0.05.

# %%
def loss_and_accuracy(model, points, labels, alpha=1e-4):
    scores = [model([Value(a), Value(b)]) for a, b in points]
    losses = [(1 - y * s).relu() for y, s in zip(labels.tolist(), scores)]
    data_loss = sum(losses) / len(losses)
    penalty = alpha * sum(p * p for p in model.parameters())
    accuracy = np.mean([(s.data > 0) == (y > 0) for y, s in zip(labels, scores)])
    return data_loss + penalty, accuracy


history = []
steps = 60
for step in range(steps):
    loss, accuracy = loss_and_accuracy(model, points, labels)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    learning_rate = 0.5 - 0.45 * step / (steps - 1)
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    history.append((loss.data, accuracy))
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step:2d}  loss {loss.data:.4f}  accuracy {accuracy:.1%}")

final_accuracy = history[-1][1]

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
left.plot([loss for loss, _ in history])
left.set_xlabel("step")
left.set_ylabel("loss")
left.set_title("Training loss")

# The decision boundary: the sign of the score over a grid of points.
xs = np.linspace(points[:, 0].min() - 0.5, points[:, 0].max() + 0.5, 45)
ys = np.linspace(points[:, 1].min() - 0.5, points[:, 1].max() + 0.5, 45)
grid = np.array([[model([Value(x), Value(y)]).data for x in xs] for y in ys])
right.contourf(xs, ys, grid > 0, cmap="coolwarm", alpha=0.35)
right.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=18, edgecolors="k", linewidths=0.3)
right.set_title("Decision boundary")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Checks
#
# The last cell fails loudly if the engine disagrees with PyTorch by more than $10^{-6}$ or if the
# network did not learn the moons. It prints the key numbers as JSON, which the wiki's tests read.

# %% tags=["results"]
import json

assert max_gradient_difference < 1e-6, f"gradients differ from torch.autograd by {max_gradient_difference}"
assert history[-1][0] < history[0][0] / 2, "the loss did not fall"
assert final_accuracy >= 0.9, f"training accuracy {final_accuracy:.1%} is below 90%"
print(json.dumps({"max_gradient_difference": max_gradient_difference, "final_accuracy": final_accuracy, "final_loss": history[-1][0]}))
