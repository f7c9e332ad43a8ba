"""A planted class for the similarity report, built from the answer key.

Every student starts from the key (as planted.py's samples do), so the key's lines are shared by
everyone and must not count. Four independent students each fill the release's stubs of the same
seven graded functions with their own, genuinely different, correct implementations (tested
against the key in tests/test_similarity.py) and answer three questions in their own words, in
English or Chinese. Copies take one independent student's work and disguise it: renamed
variables, reordered (and moved) functions, added comments, lightly reworded answers.

    build_student(spec, folder)       one submission folder (three notebooks)
    disguise(source, rng)             renamed locals and added comments (benchmarks/similarity.py too)
"""
from __future__ import annotations

import ast
import io
import json
import random
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from . import planted as P

NB1, NB2, NB3 = P.STEMS
FUNCTION_CELLS = {  # graded function -> (notebook, solution cell)
    "products": (NB1, "sol_products"),
    "make_spiral": (NB2, "sol_make_spiral"), "accuracy": (NB2, "sol_accuracy"), "train": (NB2, "sol_train"),
    **{f: (NB3, "sol_activations") for f in ("sigmoid", "tanh_via_sigmoid", "relu", "leaky_relu", "sigmoid_grad")},
    "collapse_linear": (NB3, "sol_collapse_linear"), "gradient_norms": (NB3, "sol_gradient_norms"),
    "adam_step": (NB3, "sol_adam_step"),
}
ANSWER_NOTEBOOK = NB3

# -- four students' own implementations (bodies of the release's stubs) ---------------------------

IND: dict[str, dict[str, str]] = {}
IND["ind1"] = {
    "products": """\
if m.dtype == v.dtype:
    return m @ v, m * v
target = torch.result_type(m, v)
if not target.is_floating_point:
    target = torch.float32
a, b = m.to(target), v.to(target)
return a @ b, a * b""",
    "make_spiral": """\
g = torch.Generator().manual_seed(seed)
radius = torch.linspace(0.0, 1.0, n_per_class)
xs, ys = [], []
for k in range(n_classes):
    theta = torch.linspace(2 * math.pi * k / n_classes, 2 * math.pi * (k + 2) / n_classes, n_per_class)
    theta = theta + noise * torch.randn(n_per_class, generator=g)
    xs.append(torch.stack((radius * torch.sin(theta), radius * torch.cos(theta)), dim=1))
    ys.append(torch.full((n_per_class,), k, dtype=torch.long))
return torch.cat(xs).to(device), torch.cat(ys).to(device)""",
    "accuracy": """\
predicted = torch.argmax(logits, dim=-1)
return float((predicted == Y).sum()) / len(Y)""",
    "train": """\
criterion = nn.CrossEntropyLoss()
history = []
for epoch in range(epochs):
    optimizer.zero_grad()
    out = model(X)
    value = criterion(out, Y)
    history.append(value.item())
    value.backward()
    optimizer.step()
return history""",
    "sigmoid": """\
positive = x >= 0
e = torch.exp(torch.where(positive, -x, x))
return torch.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))""",
    "tanh_via_sigmoid": "return sigmoid(x * 2) * 2 - 1",
    "relu": "return x.clamp(min=0)",
    "leaky_relu": "return torch.where(x >= 0, x, x * slope)",
    "sigmoid_grad": "return sigmoid(x) * sigmoid(-x)",
    "collapse_linear": """\
linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
first = linears[0].weight
with torch.no_grad():
    W_total = torch.eye(first.shape[1], dtype=first.dtype, device=first.device)
    b_total = torch.zeros(first.shape[1], dtype=first.dtype, device=first.device)
    for lin in linears:
        W_total = lin.weight @ W_total
        b_total = lin.weight @ b_total
        if lin.bias is not None:
            b_total = b_total + lin.bias
    result = nn.Linear(W_total.shape[1], W_total.shape[0]).to(device=W_total.device, dtype=W_total.dtype)
    result.weight.copy_(W_total)
    result.bias.copy_(b_total)
return result""",
    "gradient_norms": """\
if activation not in ("sigmoid", "relu"):
    raise ValueError(f"unknown activation {activation!r}")
act = nn.Sigmoid if activation == "sigmoid" else nn.ReLU
torch.manual_seed(seed)
mods = []
for i in range(depth):
    last = i == depth - 1
    mods.append(nn.Linear(32, 10 if last else 32))
    if not last:
        mods.append(act())
net = nn.Sequential(*mods)
x = torch.randn(64, 32)
y = torch.randint(0, 10, (64,))
nn.CrossEntropyLoss()(net(x), y).backward()
return [layer.weight.grad.norm().item() for layer in net if isinstance(layer, nn.Linear)]""",
    "adam_step": """\
b1, b2 = betas
if weight_decay:
    grad = grad + weight_decay * param
if len(state) == 0:
    state.update(step=0, exp_avg=torch.zeros_like(param), exp_avg_sq=torch.zeros_like(param))
state["step"] += 1
t = state["step"]
m = b1 * state["exp_avg"] + (1 - b1) * grad
v = b2 * state["exp_avg_sq"] + (1 - b2) * grad * grad
state["exp_avg"], state["exp_avg_sq"] = m, v
m_hat = m / (1 - b1 ** t)
v_hat = v / (1 - b2 ** t)
return (param - lr * m_hat / (v_hat.sqrt() + eps)).detach()""",
}
IND["ind2"] = {
    "products": """\
m2, v2 = m, v
if m2.dtype != v2.dtype:
    kind = torch.promote_types(m2.dtype, v2.dtype)
    kind = kind if kind.is_floating_point else torch.get_default_dtype()
    m2 = m2.type(kind)
    v2 = v2.type(kind)
return torch.mv(m2, v2) if m2.dim() == 2 and v2.dim() == 1 else torch.matmul(m2, v2), torch.mul(m2, v2)""",
    "make_spiral": """\
rng = torch.Generator().manual_seed(seed)
C, N = n_classes, n_per_class
t = torch.linspace(0, 1, N).repeat(C)
start = torch.arange(C).repeat_interleave(N) * (2 * math.pi / C)
span = torch.linspace(0, 4 * math.pi / C, N).repeat(C)
jitter = torch.cat([torch.randn(N, generator=rng) for _ in range(C)]) * noise
ang = start + span + jitter
X = torch.stack([t * ang.sin(), t * ang.cos()], 1)
labels = torch.arange(C).repeat_interleave(N)
return X.to(device), labels.to(device)""",
    "accuracy": "return logits.max(1).indices.eq(Y).double().mean().item()",
    "train": """\
losses = [0.0] * epochs
for e in range(epochs):
    logits = model(X)
    loss = nn.functional.cross_entropy(logits, Y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    losses[e] = loss.detach().item()
return losses""",
    "sigmoid": "return torch.exp(-torch.logaddexp(torch.zeros_like(x), -x))",
    "tanh_via_sigmoid": """\
s = sigmoid(2 * x)
return s + s - 1""",
    "relu": "return x * (x > 0)",
    "leaky_relu": "return x * (x > 0) + slope * x * (x <= 0)",
    "sigmoid_grad": """\
s = sigmoid(x)
return s - s ** 2""",
    "collapse_linear": """\
from functools import reduce
layers = [m for m in model.modules() if isinstance(m, nn.Linear)]

def merge(acc, layer):
    W, b = acc
    extra = layer.bias if layer.bias is not None else torch.zeros(layer.out_features, dtype=W.dtype, device=W.device)
    return layer.weight @ W, layer.weight @ b + extra

with torch.no_grad():
    head = layers[0]
    b0 = head.bias if head.bias is not None else torch.zeros(head.out_features, dtype=head.weight.dtype,
                                                              device=head.weight.device)
    W, b = reduce(merge, layers[1:], (head.weight.clone(), b0.clone()))
    res = nn.Linear(W.shape[1], W.shape[0], bias=True, device=W.device, dtype=W.dtype)
    res.weight.copy_(W)
    res.bias.copy_(b)
return res""",
    "gradient_norms": """\
if activation == "sigmoid":
    make_act = nn.Sigmoid
elif activation == "relu":
    make_act = nn.ReLU
else:
    raise ValueError("activation must be 'sigmoid' or 'relu'")
torch.manual_seed(seed)
hidden = [nn.Linear(32, 32) for _ in range(depth - 1)]
head = nn.Linear(32, 10)
batch = torch.randn(64, 32)
labels = torch.randint(0, 10, (64,))
h = batch
for lin in hidden:
    h = make_act()(lin(h))
loss = nn.functional.cross_entropy(head(h), labels)
loss.backward()
return [torch.linalg.vector_norm(l.weight.grad).item() for l in hidden + [head]]""",
    "adam_step": """\
beta1, beta2 = betas
g = grad.add(param, alpha=weight_decay) if weight_decay else grad
step = state.get("step", 0) + 1
m = state.get("exp_avg", torch.zeros_like(param)).mul(beta1).add(g, alpha=1 - beta1)
v = state.get("exp_avg_sq", torch.zeros_like(param)).mul(beta2).addcmul(g, g, value=1 - beta2)
state.update({"step": step, "exp_avg": m, "exp_avg_sq": v})
lr_t = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
eps_t = eps * math.sqrt(1 - beta2 ** step)
return (param - lr_t * m / (v.sqrt() + eps_t)).detach()""",
}
IND["ind3"] = {
    "products": """\
if m.dtype is not v.dtype:
    both = torch.promote_types(m.dtype, v.dtype)
    if both in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool):
        both = torch.get_default_dtype()
    m = m.to(dtype=both)
    v = v.to(dtype=both)
matvec = (m * v.unsqueeze(0)).sum(dim=1) if v.dim() == 1 else m @ v
return matvec, m * v""",
    "make_spiral": """\
gen = torch.Generator(device="cpu")
gen.manual_seed(seed)
points = torch.empty(n_classes * n_per_class, 2)
target = torch.empty(n_classes * n_per_class, dtype=torch.int64)
r = torch.linspace(0, 1, n_per_class)
for cls in range(n_classes):
    rows = slice(cls * n_per_class, (cls + 1) * n_per_class)
    lo, hi = 2 * math.pi * cls / n_classes, 2 * math.pi * (cls + 2) / n_classes
    a = torch.linspace(lo, hi, n_per_class) + torch.randn(n_per_class, generator=gen) * noise
    points[rows, 0] = r * torch.sin(a)
    points[rows, 1] = r * torch.cos(a)
    target[rows] = cls
return points.to(device), target.to(device)""",
    "accuracy": """\
correct = (logits.argmax(1) == Y).count_nonzero().item()
return correct / Y.numel()""",
    "train": """\
record = []
epoch = 0
while epoch < epochs:
    for p in model.parameters():
        p.grad = None
    value = torch.nn.functional.cross_entropy(model(X), Y)
    record.append(value.item())
    value.backward()
    optimizer.step()
    epoch += 1
return record""",
    "sigmoid": """\
neg = torch.exp(-torch.abs(x))
out = 1 / (1 + neg)
return torch.where(x < 0, neg * out, out)""",
    "tanh_via_sigmoid": "return 2.0 * sigmoid(2.0 * x) - 1.0",
    "relu": "return torch.clamp_min(x, 0)",
    "leaky_relu": "return torch.where(x < 0, slope * x, x)",
    "sigmoid_grad": """\
e = torch.exp(-x.abs())
return e / (1 + e) ** 2""",
    "collapse_linear": """\
mods = [m for m in model.modules() if isinstance(m, nn.Linear)]
last = mods[-1]
with torch.no_grad():
    M = last.weight.clone()
    c = last.bias.clone() if last.bias is not None else torch.zeros(last.out_features, dtype=M.dtype, device=M.device)
    for mod in reversed(mods[:-1]):
        if mod.bias is not None:
            c = c + M @ mod.bias
        M = M @ mod.weight
single = nn.Linear(M.shape[1], M.shape[0]).to(M.device, M.dtype)
with torch.no_grad():
    single.weight.copy_(M)
    single.bias.copy_(c)
return single""",
    "gradient_norms": """\
torch.manual_seed(seed)
layers = [nn.Linear(32, 32) for _ in range(depth - 1)] + [nn.Linear(32, 10)]
f = {"sigmoid": nn.Sigmoid(), "relu": nn.ReLU()}.get(activation)
if f is None:
    raise ValueError("activation: 'sigmoid' or 'relu'")
inp = torch.randn(64, 32)
tgt = torch.randint(0, 10, (64,))
z = inp
for n, layer in enumerate(layers):
    z = layer(z)
    if n < len(layers) - 1:
        z = f(z)
loss = nn.CrossEntropyLoss()(z, tgt)
grads = torch.autograd.grad(loss, [layer.weight for layer in layers])
return [g.norm().item() for g in grads]""",
    "adam_step": """\
(b1, b2) = betas
with torch.no_grad():
    d = grad.clone()
    if weight_decay != 0.0:
        d.add_(param * weight_decay)
    state.setdefault("step", 0)
    state.setdefault("exp_avg", torch.zeros_like(param))
    state.setdefault("exp_avg_sq", torch.zeros_like(param))
    state["step"] = state["step"] + 1
    state["exp_avg"] = state["exp_avg"] * b1 + d * (1 - b1)
    state["exp_avg_sq"] = state["exp_avg_sq"] * b2 + d.square() * (1 - b2)
    corr1 = 1 - b1 ** state["step"]
    corr2 = 1 - b2 ** state["step"]
    update = (state["exp_avg"] / corr1) / ((state["exp_avg_sq"] / corr2).sqrt() + eps)
    return param.clone().sub_(lr * update)""",
}
IND["ind4"] = {
    "products": """\
dt = m.dtype
if v.dtype != dt:
    dt = torch.promote_types(dt, v.dtype)
    if not dt.is_floating_point:
        dt = torch.get_default_dtype()
mm, vv = m.to(dt), v.to(dt)
return torch.einsum("ij,j->i", mm, vv) if vv.dim() == 1 else mm @ vv, mm * vv""",
    "make_spiral": """\
g = torch.Generator().manual_seed(seed)
per, classes = n_per_class, n_classes
r = torch.linspace(0, 1, per)
blocks = []
for j in range(classes):
    phi = torch.linspace(2 * math.pi * j / classes, 2 * math.pi * (j + 2) / classes, per)
    phi = phi + noise * torch.randn(per, generator=g)
    z = torch.polar(r, math.pi / 2 - phi)  # r (sin phi + i cos phi)
    blocks.append(torch.view_as_real(z))
X = torch.cat(blocks)
Y = torch.arange(classes).repeat_interleave(per)
return X.to(device), Y.to(device)""",
    "accuracy": "return torch.mean((torch.argmax(logits, 1) == Y).to(torch.float32)).item()",
    "train": """\
def closure():
    optimizer.zero_grad()
    loss = torch.nn.CrossEntropyLoss()(model(X), Y)
    loss.backward()
    return loss

return [optimizer.step(closure).item() for _ in range(epochs)]""",
    "sigmoid": """\
z = torch.exp(-torch.abs(x))
numer = torch.where(x >= 0, torch.ones_like(z), z)
return numer / (1 + z)""",
    "tanh_via_sigmoid": "return torch.sub(torch.mul(sigmoid(torch.mul(x, 2)), 2), 1)",
    "relu": "return torch.max(x, torch.zeros_like(x))",
    "leaky_relu": """\
zero = torch.zeros_like(x)
return torch.max(x, zero) + slope * torch.min(x, zero)""",
    "sigmoid_grad": """\
p = sigmoid(x)
return p.mul(1 - p)""",
    "collapse_linear": """\
ls = [m for m in model.modules() if isinstance(m, nn.Linear)]
with torch.no_grad():
    Ws = [lin.weight for lin in ls]
    W = torch.linalg.multi_dot(Ws[::-1]) if len(Ws) > 1 else Ws[0].clone()
    b = torch.zeros(ls[-1].out_features, dtype=W.dtype, device=W.device)
    for i, lin in enumerate(ls):
        if lin.bias is not None:
            tail = Ws[i + 1:]
            b += torch.linalg.multi_dot(tail[::-1] + [lin.bias[:, None]])[:, 0] if tail else lin.bias
    new = nn.Linear(W.shape[1], W.shape[0], device=W.device, dtype=W.dtype)
    new.weight.copy_(W)
    new.bias.copy_(b)
return new""",
    "gradient_norms": """\
acts = dict(sigmoid=nn.Sigmoid(), relu=nn.ReLU())
try:
    a = acts[activation]
except KeyError:
    raise ValueError(f"no activation called {activation}") from None
torch.manual_seed(seed)
widths = [32] * depth + [10]
parts = []
for d_in, d_out in zip(widths[:-1], widths[1:]):
    parts += [nn.Linear(d_in, d_out), a]
mlp = nn.Sequential(*parts[:-1])
data, cls = torch.randn(64, 32), torch.randint(0, 10, (64,))
nn.functional.cross_entropy(mlp(data), cls).backward()
return [p.grad.norm().item() for name, p in mlp.named_parameters() if name.endswith("weight")]""",
    "adam_step": """\
beta1, beta2 = betas
if not state:
    state["step"], state["exp_avg"], state["exp_avg_sq"] = 0, torch.zeros_like(param), torch.zeros_like(param)
n = state["step"] = state["step"] + 1
effective = grad if weight_decay == 0 else torch.add(grad, param, alpha=weight_decay)
first = torch.add(torch.mul(state["exp_avg"], beta1), torch.mul(effective, 1 - beta1))
second = torch.add(torch.mul(state["exp_avg_sq"], beta2), torch.mul(torch.pow(effective, 2), 1 - beta2))
state["exp_avg"] = first
state["exp_avg_sq"] = second
denom = torch.div(torch.sqrt(second), math.sqrt(1 - beta2 ** n)) + eps
return torch.sub(param, torch.div(first, denom), alpha=lr / (1 - beta1 ** n)).detach()""",
}

# -- their short answers (q2, q3, q5), each in their own words ------------------------------------

ANSWERS: dict[str, dict[str, str]] = {
    "ind1": {
        "q2_activation_functions": "They add non-linearity to the network. If every layer were linear, the whole "
        "network would still be one linear function no matter how many layers we stack, so it could not fit curved "
        "boundaries like the spiral. The nonlinear function after each layer lets the model bend its decision surface.",
        "q3_vanishing_gradient": "When a deep net is trained with backprop, the gradient reaching the early layers "
        "is a product of many small derivatives. With sigmoid each derivative is at most one quarter, so after ten "
        "layers the signal is tiny and the first layers barely update.",
        "q5_softmax": "Softmax maps the raw outputs of the last layer to numbers between zero and one that add up "
        "to one, so we can read them as class probabilities and train with the cross entropy loss.",
    },
    "ind2": {
        "q2_activation_functions": "激活函数给网络引入非线性。没有激活函数时，多个线性层相乘以后仍然只是一个线性变换，"
        "模型只能画出直线的分类边界；加上ReLU或sigmoid以后，网络才能拟合螺旋这样弯曲复杂的数据。",
        "q3_vanishing_gradient": "梯度消失是指反向传播时，越靠前的层得到的梯度越小。链式法则把每一层的导数连乘起来，"
        "sigmoid的导数最大只有0.25，层数一多乘积就趋近于零，前面的层几乎学不到东西。",
        "q5_softmax": "Softmax把每个类别的得分变成概率：先取指数保证为正，再除以总和使它们加起来等于一。"
        "这样输出可以解释为概率，也方便和交叉熵损失一起训练。",
    },
    "ind3": {
        "q2_activation_functions": "An activation is the nonlinear squashing or gating applied to each neuron. "
        "It is what gives depth its power: composing affine maps only yields another affine map, so without "
        "activations the hidden layers could be folded away. Activations like ReLU also keep gradients healthy.",
        "q3_vanishing_gradient": "Gradients shrink exponentially on their way back through many layers. Saturating "
        "units such as sigmoid and tanh have flat regions where the slope is almost zero, and multiplying many such "
        "slopes makes the update of the bottom layers vanish, so training stalls.",
        "q5_softmax": "We use softmax to normalise logits into a probability distribution over classes; exponentials "
        "make every entry positive and emphasise the largest score, and the result is differentiable.",
    },
    "ind4": {
        "q2_activation_functions": "激活函数的作用是让神经网络具有非线性表达能力。线性层的组合仍是线性的，"
        "加入激活函数之后网络可以逼近任意连续函数。另外像ReLU这样的函数计算简单，也能缓解梯度消失。",
        "q3_vanishing_gradient": "在很深的网络里，误差从输出层往输入层传播时梯度不断变小，靠近输入的层参数几乎不更新，"
        "这就是梯度消失。原因是饱和激活函数的导数很小，多层相乘后趋近于零。可以用ReLU、残差连接和合适的初始化来缓解。",
        "q5_softmax": "多分类时需要把网络的输出转换成各类别的概率。Softmax对输出取指数再归一化，"
        "结果都是正数且和为一，最大的得分对应最大的概率，而且可导，便于用梯度下降训练。",
    },
}

# Lightly reworded copies of ind1's and ind2's answers: a few words changed, a clause moved.
REWORDED = {
    "copy1": {
        "q2_activation_functions": "They add non-linearity to the model. If each layer were linear, the entire "
        "network would still be a single linear function no matter how many layers we stack, so it could not fit "
        "curved boundaries like the spirals. The nonlinear function after each layer lets the model bend its "
        "decision surface.",
        "q5_softmax": "Softmax maps the raw outputs of the final layer to numbers between zero and one that sum up "
        "to one, so we can read them as class probabilities and train with cross entropy loss.",
    },
    "copy2": {
        "q3_vanishing_gradient": "梯度消失就是指反向传播时，越靠前的层得到的梯度越小。链式法则把每一层的导数连乘起来，"
        "sigmoid函数的导数最大只有0.25，网络层数一多乘积就趋近于零，前面的层几乎学不到东西。",
    },
}


@dataclass(frozen=True)
class StudentSpec:
    name: str
    functions: dict[str, str] = field(default_factory=dict)  # function -> body
    answers: dict[str, str] = field(default_factory=dict)  # answer grade_id -> text
    moved: tuple[str, ...] = ()  # functions written in a new cell of their own instead of the stub
    reorder: bool = False  # the functions of a multi-function cell in another order
    disguised: bool = False  # locals renamed and comments added (see disguise)


# -- building notebooks ---------------------------------------------------------------------------

def _cell(nb: dict, grade_id: str) -> dict:
    hits = [c for c in nb["cells"] if (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == grade_id]
    if len(hits) != 1:
        raise ValueError(f"{grade_id}: {len(hits)} cells")
    return hits[0]


def _release_cell(stem: str, grade_id: str) -> str:
    return P._source(_cell(json.loads((P.RELEASE / f"{stem}.ipynb").read_text(encoding="utf-8")), grade_id))


def _indent(body: str, pad: str) -> str:
    return "\n".join(pad + ln if ln.strip() else "" for ln in body.splitlines())


def fill_stubs(release_src: str, bodies: dict[str, str]) -> str:
    """The release cell with each stub `raise NotImplementedError(...)` of a function in
    `bodies` replaced by the student's body (the "# YOUR CODE HERE" line stays)."""
    out, current = [], None
    for line in release_src.splitlines():
        m = re.match(r"def (\w+)\(", line)
        current = m.group(1) if m else current
        if line.strip().startswith("raise NotImplementedError") and current in bodies:
            out.append(_indent(bodies[current], line[: len(line) - len(line.lstrip())]))
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if release_src.endswith("\n") else "")


def reorder_functions(src: str, rng: random.Random) -> str:
    """The top-level definitions of a cell in another order (each with its docstring and body)."""
    tree = ast.parse(src)
    lines = src.splitlines()
    spans = [(n.lineno - 1, n.end_lineno) for n in tree.body]
    chunks = ["\n".join(lines[a:b]) for a, b in spans]
    order = list(range(len(chunks)))
    while len(order) > 1 and order == sorted(order):
        rng.shuffle(order)
    return "\n\n\n".join(chunks[i] for i in order) + "\n"


BUILTIN_NAMES = {"torch", "nn", "math", "plt", "self", "True", "False", "None"}


def _rename(src: str, renames: dict[str, str]) -> str:
    """Rename identifiers token by token: never inside strings or comments, never an attribute
    (`.name`) or a keyword argument (`name=` inside a call)."""
    toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    edits, depth = [], 0
    for i, t in enumerate(toks):
        if t.type == tokenize.OP and t.string in "([{":
            depth += 1
        elif t.type == tokenize.OP and t.string in ")]}":
            depth -= 1
        if t.type != tokenize.NAME or t.string not in renames:
            continue
        prev = toks[i - 1].string if i else ""
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        if prev == "." or (depth > 0 and nxt == "="):
            continue
        edits.append((t.start, t.end, renames[t.string]))
    lines = src.splitlines(keepends=True)
    for (row, col), (_, end), new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end:]
    return "".join(lines)


def disguise(src: str, rng: random.Random, comments: bool = True) -> str:
    """Local variables renamed (never a function's name or parameter, which the contract fixes)
    and, with `comments`, a comment added above every other line. `src` is a whole cell."""
    tree = ast.parse(src)
    params = {a.arg for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))
              for a in n.args.args + n.args.kwonlyargs}
    funcs = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    words = ["val", "tmp", "res", "acc", "cur", "buf", "aux", "out", "data", "item", "elem", "q", "w2", "zz"]
    renames = {name: f"{rng.choice(words)}_{rng.randrange(10, 99)}"
               for name in sorted(stored - params - funcs - BUILTIN_NAMES)}
    src = _rename(src, renames)
    if comments:
        notes = ["compute the result", "see lecture 3", "careful with dtypes", "this part was tricky",
                 "keep it on the same device", "works for any shape", "checked against the example"]
        out = []
        for i, line in enumerate(src.splitlines()):
            stripped = line.strip()
            if i % 2 == 1 and stripped and not stripped.startswith(("def ", '"""', "@")):
                out.append(line[: len(line) - len(line.lstrip())] + "# " + rng.choice(notes))
            out.append(line)
        src = "\n".join(out) + "\n"
    ast.parse(src)  # still Python
    return src


def build_student(spec: StudentSpec, folder: Path, rng: random.Random | None = None) -> Path:
    """A submission folder with the three notebooks: the key, with the spec's functions written
    into the release's stubs and its answers in the answer cells."""
    rng = rng or random.Random(spec.name)
    by_cell: dict[tuple[str, str], dict[str, str]] = {}
    for func, body in spec.functions.items():
        by_cell.setdefault(FUNCTION_CELLS[func], {})[func] = body
    for stem in P.STEMS:
        nb = P.load_key(stem)
        for (s, gid), bodies in by_cell.items():
            if s != stem:
                continue
            cell = _cell(nb, gid)
            staying = {f: b for f, b in bodies.items() if f not in spec.moved}
            src = fill_stubs(_release_cell(stem, gid), staying)
            if spec.reorder and src.count("\ndef ") + src.startswith("def ") > 1:
                src = reorder_functions(src, rng)
            cell["source"] = disguise(src, rng) if spec.disguised else src
            moved = {f: b for f, b in bodies.items() if f in spec.moved}
            if moved:  # the stub stays; the student's version is a new cell further down
                new = fill_stubs(_release_cell(stem, gid), moved)
                new = disguise(new, rng) if spec.disguised else new
                nb["cells"].insert(nb["cells"].index(cell) + 2, {
                    "cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                    "source": "# my version / 我的版本\n" + new})
        if stem == ANSWER_NOTEBOOK:
            for gid, text in spec.answers.items():
                _cell(nb, gid)["source"] = text
        P.write(nb, folder, stem)
    return folder


def planted_class() -> list[StudentSpec]:
    """The key, four independent students, and copies of two of them (one copied twice: a
    cluster of three)."""
    specs = [StudentSpec("key")]
    specs += [StudentSpec(n, IND[n], ANSWERS[n]) for n in sorted(IND)]

    def copy_of(name: str, source: str, answers: dict[str, str], moved=()) -> StudentSpec:
        return StudentSpec(name, IND[source], answers, moved=moved, reorder=True, disguised=True)

    specs.append(copy_of("copy1", "ind1", {**ANSWERS["ind1"], **REWORDED["copy1"]}, moved=("collapse_linear",)))
    specs.append(copy_of("copy2", "ind2", {**ANSWERS["ind2"], **REWORDED["copy2"]}))
    specs.append(copy_of("copy2b", "ind2", {}))  # code only; answers left as the key's
    return specs


COPIES = {("copy1", "ind1"), ("copy2", "ind2"), ("copy2b", "ind2"), ("copy2", "copy2b")}
INDEPENDENT = ["key", "ind1", "ind2", "ind3", "ind4"]
