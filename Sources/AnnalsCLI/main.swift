import Annals
