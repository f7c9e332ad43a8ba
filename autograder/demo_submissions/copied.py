"""The demo's `copied` student: the `buggy` student's code with its variables renamed and comments
added, as a copier disguises it. The similarity section of the demo's summary ranks the pair first;
the same known mistakes give the same hints."""

COPIED_TRAIN = '''\
def train(model, X, Y, optimizer, epochs):
    # full-batch training, one step per epoch
    criterion = nn.CrossEntropyLoss()
    history = []
    for _ in range(epochs):
        # forward pass, then backward pass
        value = criterion(model(X), Y)
        value.backward()
        optimizer.step()
        history.append(value.item())
    return history
'''

COPIED_ACCURACY = '''\
def accuracy(logits, Y):
    # compare the predicted class with the label
    return (logits.argmax(dim=1) != Y).float().mean()
'''

COPIED_MAKE_OPTIMIZER = '''\
def make_optimizer(model, name, lr=1e-3, weight_decay=1e-5):
    # choose the optimizer from its name
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr)
    return torch.optim.Adam(model.parameters(), lr=lr)
'''

COPIED_FIT_SPIRAL = '''\
def fit_spiral(X, Y, device):
    # a linear classifier trained with SGD
    net = build_linear_model(2, 100, 3).to(device)
    opt = make_optimizer(net, "sgd", lr=1e-1)
    train(net, X, Y, opt, 200)
    return net
'''

COPIED_ACTIVATIONS = '''\
def sigmoid(z):
    # logistic function
    return 1 / (1 + torch.exp(-z))


def tanh_via_sigmoid(z):
    return 2 * sigmoid(z) - 1


def relu(z):
    # keep the positive part
    return z * (z > 0)


def leaky_relu(z, slope=0.01):
    return torch.where(z > 0, z, slope * z)


def sigmoid_grad(z):
    return sigmoid(z) * (1 - sigmoid(z))
'''
